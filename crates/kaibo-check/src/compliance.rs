//! Compliance: the show script, scene texts and overlay texts scanned with the word lists meant
//! for compliance (advertising-law absolute terms, regulated product categories…).

use crate::{CheckItem, CheckStatus, Language};
use kaibo_model::Tr;
use kaibo_model::checklist::ids;
use kaibo_model::wordlist::{Hit, Purpose, Severity, WordList, scan_all};
use kaibo_model::{OverlayState, PanelContent, Scene, SourceKind};

/// A text to scan and where it comes from (a file name, "scene Main / Title"…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedText {
    pub source: String,
    pub text: String,
}

/// The text sources of a scene, each named "scene NAME / SOURCE".
pub fn scene_texts(scene: &Scene) -> Vec<CheckedText> {
    scene
        .sources
        .iter()
        .filter_map(|s| match &s.input {
            SourceKind::Text { text, .. } => Some(CheckedText {
                source: format!("scene {} / {}", scene.name, s.name),
                text: text.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The host-written texts of the overlay panels (offers, lower thirds, titles, captions);
/// viewers' questions are the hub's moderation's concern, not the host's advertising.
pub fn overlay_texts(state: &OverlayState) -> Vec<CheckedText> {
    state
        .panels
        .iter()
        .filter_map(|p| {
            let text = match &p.content {
                PanelContent::Offer { title, detail, .. } => format!("{title}\n{detail}"),
                PanelContent::LowerThird { title, subtitle } => format!("{title}\n{subtitle}"),
                PanelContent::Poll { title, options, .. } => std::iter::once(title.clone())
                    .chain(options.iter().map(|o| o.label.clone()))
                    .collect::<Vec<_>>()
                    .join("\n"),
                PanelContent::Rating { title, .. } | PanelContent::Winners { title, .. } => {
                    title.clone()
                }
                PanelContent::Countdown { label, .. } => label.clone(),
                PanelContent::JoinQr { caption, .. } => caption.clone(),
                PanelContent::Question { .. } => return None,
            };
            Some(CheckedText {
                source: format!("overlay {}", p.id),
                text,
            })
        })
        .collect()
}

/// Scans every text with the lists whose purpose includes compliance; one detail line per hit
/// with its position and the rule.
pub fn check_compliance(lists: &[WordList], texts: &[CheckedText], lang: Language) -> CheckItem {
    let lists: Vec<WordList> = lists
        .iter()
        .filter(|l| l.is_for(Purpose::Compliance))
        .cloned()
        .collect();
    let mut details = Vec::new();
    let mut worst: Option<Severity> = None;
    let mut count = 0usize;
    for t in texts {
        for hit in scan_all(&lists, &t.text) {
            count += 1;
            worst = worst.max(Some(hit.severity));
            if let Some(list) = lists.iter().find(|l| l.id == hit.list) {
                details.push(describe(&t.source, &hit, list, lang));
            }
        }
    }
    let status = match worst {
        None => CheckStatus::Pass,
        Some(Severity::Warn) => CheckStatus::Warn,
        Some(Severity::Fail) => CheckStatus::Fail,
    };
    let value = match lang {
        Language::Zh => format!(
            "{count} 处命中（{} 段文本，{} 个词表）",
            texts.len(),
            lists.len()
        ),
        Language::En => format!(
            "{count} hit(s) in {} text(s), {} list(s)",
            texts.len(),
            lists.len()
        ),
    };
    let hint = match status {
        CheckStatus::Pass if texts.is_empty() => Tr(lang).t("No text to check: give the show script with --script.", "没有可检查的文本：用 --script 指定直播脚本。").to_owned(),
        CheckStatus::Pass => Tr(lang).t("No prohibited or regulated terms found.", "未发现违规用语。").to_owned(),
        _ => Tr(lang).t("Reword or remove each term listed; health supplements, financial and medical products may only be promoted with their filed qualifications shown.", "修改或删除下列用语；保健食品、金融、医疗类产品需展示已备案的资质后才能宣传。").to_owned(),
    };
    CheckItem::new(ids::COMPLIANCE, status, value, hint).with_details(details)
}

fn describe(source: &str, hit: &Hit, list: &WordList, lang: Language) -> String {
    match lang {
        Language::Zh => format!(
            "{source}:{}:{} “{}” — {}：{}",
            hit.line, hit.column, hit.term, list.name_zh, list.rule_zh
        ),
        Language::En => format!(
            "{source}:{}:{} \"{}\" — {}: {}",
            hit.line, hit.column, hit.term, list.name, list.rule
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(purpose: &str) -> WordList {
        let text = format!(
            r#"version = 1
id = "ad-absolute"
name = "Absolute terms"
name_zh = "绝对化用语"
rule = "No absolute terms."
rule_zh = "不得使用绝对化用语。"
severity = "fail"
terms = ["最", "第一"]
allow = ["最近"]
{purpose}"#
        );
        WordList::from_toml_str(&text, "t.toml").expect("valid")
    }

    #[test]
    fn scene_and_overlay_texts_are_collected_with_their_place() {
        use kaibo_model::{Anchor, Panel};
        let scene = Scene::from_inputs(
            "Main",
            vec![
                SourceKind::Test,
                SourceKind::Text {
                    text: "全网最低价".into(),
                    font: None,
                    color: None,
                },
            ],
        );
        let texts = scene_texts(&scene);
        assert_eq!(texts.len(), 1);
        assert_eq!(texts[0].source, "scene Main / text 2");
        let state = OverlayState {
            panels: vec![Panel {
                id: "offer-1".into(),
                anchor: Anchor::BottomBand,
                content: PanelContent::Offer {
                    title: "限时优惠".into(),
                    detail: "第一名下单送茶具".into(),
                    ends_at_ms: None,
                },
            }],
        };
        let texts = overlay_texts(&state);
        assert_eq!(texts[0].text, "限时优惠\n第一名下单送茶具");
        let item = check_compliance(&[list("")], &texts, Language::Zh);
        assert!(
            item.details[0].starts_with("overlay offer-1:2:1 “第一”"),
            "{:?}",
            item.details
        );
    }

    #[test]
    fn hits_carry_position_and_rule_and_moderation_lists_are_left_out() {
        let texts = [CheckedText {
            source: "script.txt".into(),
            text: "大家好\n这是全网最好的茶".into(),
        }];
        let item = check_compliance(&[list("")], &texts, Language::Zh);
        assert_eq!(item.status, CheckStatus::Fail);
        assert_eq!(item.details.len(), 1);
        assert!(
            item.details[0].starts_with("script.txt:2:5 “最”"),
            "{:?}",
            item.details
        );
        let moderation_only = list(r#"purpose = ["moderation"]"#);
        let item = check_compliance(&[moderation_only], &texts, Language::En);
        assert_eq!(item.status, CheckStatus::Pass, "{item:?}");
    }
}
