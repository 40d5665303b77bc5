// The reader's enhancement of the comment form. The page works without this file: each
// "Reply" link loads the page with the form set to answer that comment. With it, the form
// opens in place under the comment answered, and "Cancel the reply" puts it back. Served by
// Dateline itself under a Content-Security-Policy that allows no inline script.
"use strict";

(function () {
  const section = document.querySelector(".comment-form");
  const form = section && section.querySelector("form");
  if (!form) {
    return;
  }
  const parent = form.querySelector("input[name=parent_id]");
  const heading = section.querySelector("h2");
  const home = section.parentNode;
  const homeNext = section.nextSibling;
  const originalHeading = heading.textContent;
  let cancel = null;

  function cancelReply() {
    parent.value = "";
    heading.textContent = originalHeading;
    if (cancel) {
      cancel.remove();
      cancel = null;
    }
    home.insertBefore(section, homeNext);
  }

  function openReply(link) {
    const comment = link.closest(".comment");
    if (!comment) {
      return false;
    }
    parent.value = link.dataset.reply;
    heading.textContent = "Reply to " + (link.dataset.author || "this comment");
    if (!cancel) {
      cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "secondary cancel-reply";
      cancel.textContent = "Cancel the reply";
      cancel.addEventListener("click", function () {
        cancelReply();
        link.focus();
      });
      form.querySelector("button[type=submit]").after(" ", cancel);
    }
    // Under the comment's own text, before its replies.
    const actions = comment.querySelector(":scope > .comment-actions");
    comment.insertBefore(section, actions ? actions.nextSibling : null);
    const name = form.querySelector("#author_name");
    (name && name.value === "" ? name : form.querySelector("#body")).focus();
    return true;
  }

  document.querySelectorAll("a.reply-link[data-reply]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (openReply(link)) {
        event.preventDefault();
      }
    });
  });
  // The no-JavaScript link to cancel a reply reloads the page; with the form in place, a
  // button does it.
  const noScriptCancel = section.querySelector(".hint a[href$='#leave-comment']");
  if (noScriptCancel && parent.value) {
    noScriptCancel.addEventListener("click", function (event) {
      event.preventDefault();
      cancelReply();
      noScriptCancel.closest(".hint").remove();
    });
  }
})();
