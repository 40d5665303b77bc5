//! The way into a task of one [`crate::App`] that empties a queue (the comment committer, the
//! group reader): the task is started by the first item, and again should it ever stop (a
//! panic). It holds the queue's receiving end and what it was started with only, so it ends when
//! the last `App` holding the queue is dropped, after answering what was queued.

use std::sync::{Mutex, PoisonError};

use tokio::sync::mpsc;

pub(crate) struct TaskQueue<T> {
    sender: Mutex<Option<mpsc::UnboundedSender<T>>>,
}

impl<T> Default for TaskQueue<T> {
    fn default() -> Self {
        TaskQueue {
            sender: Mutex::new(None),
        }
    }
}

impl<T> TaskQueue<T> {
    /// Queues `item`; when no task is running, `start` is given the receiving end of a new
    /// queue to spawn one with.
    pub(crate) fn send(&self, item: T, start: impl FnOnce(mpsc::UnboundedReceiver<T>)) {
        let mut sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        let item = match sender.as_ref() {
            Some(q) => match q.send(item) {
                Ok(()) => return,
                Err(mpsc::error::SendError(item)) => item,
            },
            None => item,
        };
        let (new, receiver) = mpsc::unbounded_channel();
        start(receiver);
        // The receiver was just made and is alive: this send cannot fail.
        let _ = new.send(item);
        *sender = Some(new);
    }
}
