//! The pure half of the comment spam classifier: a naive Bayes model that learns from what
//! moderators mark as spam or approve. The counts it learns live in the database (another
//! layer keeps them); here are the features a comment is seen as and the judgement on them.
//!
//! A comment's features, all from its [`normalise`]d text (so full-width or styled letters and
//! capitals count as the plain letters spammers dress them up from):
//! - `d:example.com`, the host of each link (`http://`, `https://` or `www.`, without `www.`),
//!   because the site a spammer promotes is the most telling thing in the comment;
//! - `w:casino`, each word (a run of letters and digits), for what the comment is about;
//! - `c: cas`, `c:casi`, …, the character 4-grams of each word padded with a space at each
//!   end, so that disguised words (`c4sino`, `casinoz`) still share n-grams with the plain
//!   one, and word starts and ends are told apart. N-grams run within words, not across
//!   them: pairs of words add little the words do not say, and would double the features.
//!
//! At most [`MAX_FEATURES`] are kept, so that a long comment neither swells the stored counts
//! nor drowns its own signal; the subset is deterministic: hosts, then words, then n-grams, each
//! in the order of the text, so padding a comment cannot push its links out.

use std::collections::BTreeSet;

use crate::moderation::normalise;

/// Examples of each kind the classifier needs before it says anything.
pub const MIN_EXAMPLES: i64 = 20;
/// At or above this probability a comment is marked spam.
pub const SPAM_AT: f64 = 0.98;
/// At or above this (and below [`SPAM_AT`]) it is held for a moderator.
pub const HOLD_AT: f64 = 0.80;
/// The most features one comment yields.
pub const MAX_FEATURES: usize = 400;
/// How many of a comment's features the judgement rests on: the most telling ones. Naive Bayes
/// treats features as independent; a word and its n-grams are not, and summing hundreds of
/// them would push every probability to 0 or 1.
const TELLING: usize = 40;
/// Longer "words" are hashes or encoded blobs: noise as a word; their n-grams still count.
const MAX_WORD: usize = 40;

/// The features of a comment's text: unique, sorted, at most [`MAX_FEATURES`].
pub fn features(text: &str) -> Vec<String> {
    let text = normalise(text);
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let grams = words.iter().flat_map(|w| {
        let padded: Vec<char> = format!(" {w} ").chars().collect();
        let grams: Vec<String> = padded
            .windows(4)
            .map(|g| format!("c:{}", String::from_iter(g)))
            .collect();
        grams
    });
    let all = hosts(&text)
        .map(|h| format!("d:{h}"))
        .chain(
            words
                .iter()
                .filter(|w| w.chars().count() <= MAX_WORD)
                .map(|w| format!("w:{w}")),
        )
        .chain(grams);
    let mut kept = BTreeSet::new();
    for feature in all {
        if kept.len() == MAX_FEATURES {
            break;
        }
        kept.insert(feature);
    }
    kept.into_iter().collect()
}

/// The hosts of the links in normalised text, `www.` dropped so that `www.a.com` and
/// `https://a.com` are one site.
fn hosts(text: &str) -> impl Iterator<Item = &str> {
    ["http://", "https://", "www."]
        .into_iter()
        .flat_map(move |prefix| {
            text.match_indices(prefix)
                .filter(|(i, _)| !text[..*i].ends_with(char::is_alphanumeric))
                .map(move |(i, _)| &text[i + prefix.len()..])
        })
        .map(|rest| {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-'))
                .unwrap_or(rest.len());
            let host = rest[..end].trim_end_matches(['.', '-']);
            host.strip_prefix("www.").unwrap_or(host)
        })
        .filter(|h| !h.is_empty())
}

/// How many training examples of each kind held one feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeatureCount {
    /// Spam examples that held it.
    pub spam: i64,
    /// Legitimate examples that held it.
    pub ham: i64,
}

/// What the model has learned from, in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Examples {
    /// Comments marked spam.
    pub spam: i64,
    /// Comments approved.
    pub ham: i64,
}

impl Examples {
    /// Whether there are enough of both kinds for the model's word to mean anything.
    pub fn ready(&self) -> bool {
        self.spam >= MIN_EXAMPLES && self.ham >= MIN_EXAMPLES
    }
}

/// What the classifier says about one comment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Judgement {
    /// Too few examples to say anything.
    Silent,
    /// Below [`HOLD_AT`]: let it through.
    Pass(f64),
    /// Between [`HOLD_AT`] and [`SPAM_AT`]: a moderator should look.
    Hold(f64),
    /// At or above [`SPAM_AT`].
    Spam(f64),
}

/// The judgement on a comment whose features have the stored `counts` (features never seen in
/// training are simply absent from the slice).
pub fn judge(examples: Examples, counts: &[FeatureCount]) -> Judgement {
    if !examples.ready() {
        return Judgement::Silent;
    }
    match spam_probability(examples, counts) {
        p if p >= SPAM_AT => Judgement::Spam(p),
        p if p >= HOLD_AT => Judgement::Hold(p),
        p => Judgement::Pass(p),
    }
}

/// The probability, in [0, 1], that a comment with these feature counts is spam: the log prior
/// odds plus the log likelihood ratios of its [`TELLING`] most telling features, each with
/// Laplace smoothing (P(f|spam) = (spam + 1) / (spam examples + 2)), through a logistic. Only
/// features the comment holds count, not the absence of the others: the store fetches counts
/// for those alone. Counts are clamped to what the totals allow, and the prior is smoothed
/// too, so no stored numbers (zero examples, inconsistent counts) can give NaN.
pub fn spam_probability(examples: Examples, counts: &[FeatureCount]) -> f64 {
    let (spam, ham) = (examples.spam.max(0), examples.ham.max(0));
    let prior = ((spam as f64 + 1.0) / (ham as f64 + 1.0)).ln();
    let mut ratios: Vec<f64> = counts
        .iter()
        .map(|c| {
            let p_spam = (c.spam.clamp(0, spam) as f64 + 1.0) / (spam as f64 + 2.0);
            let p_ham = (c.ham.clamp(0, ham) as f64 + 1.0) / (ham as f64 + 2.0);
            p_spam.ln() - p_ham.ln()
        })
        .collect();
    // The sign breaks ties in size, so the result does not depend on the order of `counts`.
    ratios.sort_by(|a, b| b.abs().total_cmp(&a.abs()).then(a.total_cmp(b)));
    let z = prior + ratios.iter().take(TELLING).sum::<f64>();
    1.0 / (1.0 + (-z).exp())
}

/// The reason a moderator sees: "classifier: spam 0.97". The probability is floored, never
/// shown as 1.00: the model is never certain, and a rounded-up figure would claim it is.
pub fn reason(p: f64) -> String {
    // The epsilon keeps 0.57 (56.999… in binary) from showing as 0.56; NaN becomes 0.
    let hundredths = ((p * 100.0 + 1e-9).floor() as i64).clamp(0, 99);
    format!("classifier: spam 0.{hundredths:02}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    const SPAM: [&str; 25] = [
        "Best online casino bonus at https://casino-royal.example now",
        "Cheap pills without prescription, order at www.pills-cheap.example",
        "Double your bitcoin in 24 hours: https://crypto-double.example",
        "Win big at the casino tonight, free spins https://casino-royal.example",
        "Buy viagra pills cheap, fast delivery www.pills-cheap.example",
        "Crypto investment guaranteed profit, join https://crypto-double.example",
        "Free casino chips and jackpot bonus at http://spins.example",
        "Discount pills online pharmacy, no prescription needed, www.pharma.example",
        "Earn 500 dollars a day with bitcoin trading https://crypto-double.example",
        "Hot casino slots jackpot, click https://casino-royal.example",
        "Weight loss pills that work, buy now www.pills-cheap.example",
        "Crypto giveaway, send 1 btc receive 2 https://crypto-double.example",
        "Casino bonus code FREE100 at http://spins.example today",
        "Order cheap pills online with bitcoin www.pharma.example",
        "Best crypto wallet airdrop, claim free tokens https://airdrop.example",
        "Play poker and casino games for real money https://casino-royal.example",
        "Cheapest pills, best prices, www.pills-cheap.example, order today",
        "Make money fast with crypto signals https://crypto-double.example",
        "Free spins jackpot casino bonus https://spins.example click now",
        "Online pharmacy pills delivered discreetly www.pharma.example",
        "Bitcoin doubler guaranteed, invest now https://crypto-double.example",
        "Casino online: bonus, free spins, jackpot http://casino-royal.example",
        "Buy pills cheap cheap cheap www.pills-cheap.example",
        "Claim your free crypto airdrop https://airdrop.example now",
        "Win money at the online casino https://spins.example bonus",
    ];

    const HAM: [&str; 25] = [
        "I think the council should have consulted residents before closing the library.",
        "Great reporting on the flood, thank you for covering our town.",
        "The article misstates the date of the election; it was in May.",
        "My grandmother lived on that street for forty years, sad to see it go.",
        "Does anyone know whether the bridge repairs will finish before winter?",
        "This is a balanced piece, though I would have liked more on the budget.",
        "The mayor's answer did not address the question about school funding.",
        "Thanks for the correction, the photo caption now makes sense.",
        "We went to the festival last weekend and the music was wonderful.",
        "I disagree with the columnist, but the argument is well made.",
        "The new bus timetable is a real problem for people who work nights.",
        "Could you follow up on the hospital waiting times next month?",
        "The interview with the farmers was the best part of this story.",
        "Our street has had potholes for two years, nobody from the council came.",
        "Interesting history of the old mill, I never knew it was a school.",
        "The match report forgot to mention the second goal in extra time.",
        "I hope the paper keeps covering the planning decision on the park.",
        "Well written, and the graphs of the rainfall data were clear.",
        "The library also runs reading groups for children on Saturdays.",
        "Residents should attend the meeting on Tuesday about the new homes.",
        "The police statement contradicts what witnesses told the reporter.",
        "My son's school was mentioned, the teachers there work very hard.",
        "Good to see local news covering the river clean-up volunteers.",
        "The council tax rise seems high given the state of the roads.",
        "Thank you for explaining how the vote works, it was confusing.",
    ];

    fn trained() -> (Examples, HashMap<String, FeatureCount>) {
        let mut counts: HashMap<String, FeatureCount> = HashMap::new();
        for (texts, spam) in [(&SPAM, true), (&HAM, false)] {
            for text in texts {
                for f in features(text) {
                    let c = counts.entry(f).or_default();
                    *(if spam { &mut c.spam } else { &mut c.ham }) += 1;
                }
            }
        }
        (Examples { spam: 25, ham: 25 }, counts)
    }

    fn score(text: &str) -> (f64, Judgement) {
        let (examples, map) = trained();
        let counts: Vec<FeatureCount> = features(text)
            .iter()
            .filter_map(|f| map.get(f).copied())
            .collect();
        (
            spam_probability(examples, &counts),
            judge(examples, &counts),
        )
    }

    #[test]
    fn features_are_normalised_unique_and_sorted_with_hosts() {
        assert_eq!(
            features("Casino ＣＡＳＩＮＯ"),
            features("casino CASINO casino")
        );
        let f = features("Casino at https://www.Spin.example/x and www.b-c.org.");
        assert!(f.windows(2).all(|w| w[0] < w[1]), "{f:?}");
        for want in [
            "w:casino",
            "c: cas",
            "c:sino",
            "c:ino ",
            "d:spin.example",
            "d:b-c.org",
        ] {
            assert!(f.contains(&want.to_string()), "{want} in {f:?}");
        }
        assert!(!features("awww.nope").iter().any(|f| f.starts_with("d:")));
        assert!(!features("see https:// here").contains(&"d:".to_string()));
        assert!(
            !features(&"ab".repeat(21))
                .iter()
                .any(|f| f.starts_with("w:"))
        );
        let long: String = (0..2000).map(|i| format!("word{i} ")).collect();
        assert_eq!(features(&long).len(), MAX_FEATURES);
        assert!(
            features(&format!("{long} https://late.example")).contains(&"d:late.example".into())
        );
    }

    #[test]
    fn silent_until_enough_of_both_kinds() {
        let counts = [FeatureCount { spam: 19, ham: 0 }];
        assert_eq!(
            judge(Examples { spam: 19, ham: 500 }, &counts),
            Judgement::Silent
        );
        assert_eq!(
            judge(Examples { spam: 500, ham: 19 }, &counts),
            Judgement::Silent
        );
        assert_ne!(
            judge(Examples { spam: 20, ham: 20 }, &counts),
            Judgement::Silent
        );
    }

    #[test]
    fn judgements_follow_the_thresholds() {
        let examples = Examples { spam: 30, ham: 30 };
        let c = |spam, ham| FeatureCount { spam, ham };
        // Even priors, so p = odds / (1 + odds) with odds the product of (s + 1) / (h + 1).
        assert_eq!(judge(examples, &[]), Judgement::Pass(0.5));
        assert!(
            matches!(judge(examples, &[c(0, 5)]), Judgement::Pass(p) if (p - 1.0 / 7.0).abs() < 1e-9)
        );
        assert!(
            matches!(judge(examples, &[c(5, 0)]), Judgement::Hold(p) if (p - 6.0 / 7.0).abs() < 1e-9)
        );
        assert!(matches!(judge(examples, &[c(30, 0)]), Judgement::Hold(p) if p < SPAM_AT));
        assert!(matches!(judge(examples, &[c(30, 0); 2]), Judgement::Spam(p) if p > 0.998));
    }

    #[test]
    fn spam_is_caught_and_news_comments_pass() {
        let (p, j) = score("ＦＲＥＥ Casino spins and crypto bonus at https://new-site.example");
        assert!(
            p >= HOLD_AT && matches!(j, Judgement::Spam(_) | Judgement::Hold(_)),
            "{p} {j:?}"
        );
        let (p, j) =
            score("Thanks for the story, the council should fix the roads near the school.");
        assert!(p < 0.5 && matches!(j, Judgement::Pass(_)), "{p} {j:?}");
    }

    #[test]
    fn only_the_most_telling_features_count_and_order_does_not() {
        let examples = Examples { spam: 30, ham: 30 };
        let weak = FeatureCount { spam: 2, ham: 1 };
        let spammy = FeatureCount { spam: 9, ham: 0 };
        let hammy = FeatureCount { spam: 0, ham: 9 };
        let p = |counts: &[FeatureCount]| spam_probability(examples, counts);
        assert_eq!(p(&[weak; TELLING + 10]), p(&[weak; TELLING]));
        assert!(p(&[weak; 3]) > p(&[weak; 2]));
        let mut mixed = [[spammy; TELLING], [hammy; TELLING]].concat();
        let forward = p(&mixed);
        mixed.reverse();
        assert_eq!(forward, p(&mixed));
    }

    #[test]
    fn no_nan_without_counts_or_examples() {
        let zero = FeatureCount::default();
        assert_eq!(spam_probability(Examples::default(), &[]), 0.5);
        assert_eq!(spam_probability(Examples::default(), &[zero, zero]), 0.5);
        let odd = FeatureCount {
            spam: i64::MAX,
            ham: -5,
        };
        assert!(!spam_probability(Examples { spam: 30, ham: 30 }, &[odd]).is_nan());
    }

    #[test]
    fn reasons_are_floored_to_two_decimals() {
        assert_eq!(reason(0.97), "classifier: spam 0.97");
        assert_eq!(reason(0.57), "classifier: spam 0.57");
        assert_eq!(reason(0.999), "classifier: spam 0.99");
        assert_eq!(reason(1.0), "classifier: spam 0.99");
        assert_eq!(reason(0.05), "classifier: spam 0.05");
        assert_eq!(reason(f64::NAN), "classifier: spam 0.00");
    }

    proptest! {
        #[test]
        fn any_text_gives_bounded_features_and_a_probability(text in "\\PC{0,600}", spam in any::<i64>(), ham in any::<i64>()) {
            let f = features(&text);
            prop_assert!(f.len() <= MAX_FEATURES && f.windows(2).all(|w| w[0] < w[1]));
            let counts: Vec<FeatureCount> = f.iter().enumerate()
                .map(|(i, _)| FeatureCount { spam: spam.wrapping_add(i as i64), ham })
                .collect();
            let p = spam_probability(Examples { spam, ham }, &counts);
            prop_assert!((0.0..=1.0).contains(&p), "{}", p);
        }
    }
}
