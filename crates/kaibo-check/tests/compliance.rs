//! Compliance with the shipped word lists (`assets/wordlists/`) on sample show scripts in
//! Chinese and English: each hit with its place and rule, and nothing on clean scripts.

use kaibo_check::{CheckStatus, CheckedText, Language, check_compliance};
use kaibo_model::WordList;
use kaibo_model::wordlist::Purpose;

fn shipped_lists() -> Vec<WordList> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/wordlists");
    let mut lists = Vec::new();
    for entry in std::fs::read_dir(dir).expect("assets/wordlists exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).expect("readable");
            let list = WordList::from_toml_str(&text, &path.display().to_string())
                .unwrap_or_else(|e| panic!("{e}"));
            lists.push(list);
        }
    }
    for id in [
        "ad-absolute",
        "regulated-health",
        "regulated-finance",
        "regulated-medical",
    ] {
        let list = lists.iter().find(|l| l.id == id);
        assert!(list.is_some_and(|l| l.is_for(Purpose::Compliance)), "{id}");
    }
    lists
}

fn script(source: &str, text: &str) -> Vec<CheckedText> {
    vec![CheckedText {
        source: source.into(),
        text: text.into(),
    }]
}

const ZH_SCRIPT: &str = "\
各位家人们晚上好，欢迎来到直播间！
今天给大家带来的是全网最好的高山红茶，销量第一。
这款茶还能降血压、增强免疫力，老人喝了延年益寿。
下单再送理财课程，保本稳赚！";

const EN_SCRIPT: &str = "\
Welcome back, everyone.
This is the best-selling tea in the world, and it is clinically proven to lower stress.
Sign up today for guaranteed returns on our partner fund.";

const CLEAN_ZH: &str = "\
大家好，最近天气转凉，我们第一次在直播间介绍秋茶。
第一步先温杯，第一个问题来自老朋友：怎么冲泡？最后给大家演示冲泡方法。
这款茶口感清爽，产自福建，欢迎品尝。";

const CLEAN_EN: &str = "\
Good evening and welcome. Tonight we taste three oolongs from Fujian.
First, warm the cup; then we answer your questions about brewing at home.
Thank you for joining, and see you next week.";

#[test]
fn a_chinese_script_reports_each_term_with_place_and_rule() {
    let item = check_compliance(
        &shipped_lists(),
        &script("脚本.txt", ZH_SCRIPT),
        Language::Zh,
    );
    assert_eq!(item.status, CheckStatus::Fail, "{item:#?}");
    let has = |needle: &str| item.details.iter().any(|d| d.contains(needle));
    for expected in [
        "脚本.txt:2:12 “最”",
        "“第一”",
        "脚本.txt:3:6 “降血压”",
        "“增强免疫力”",
        "“延年益寿”",
        "“理财”",
        "“保本”",
        "“稳赚”",
    ] {
        assert!(has(expected), "missing {expected}: {:#?}", item.details);
    }
    assert!(has("《广告法》第九条"), "{:#?}", item.details);
    assert!(has("保健食品"), "{:#?}", item.details);
    assert_eq!(item.details.len(), 8, "{:#?}", item.details);
}

#[test]
fn an_english_script_reports_each_term() {
    let item = check_compliance(
        &shipped_lists(),
        &script("script.txt", EN_SCRIPT),
        Language::En,
    );
    assert_eq!(item.status, CheckStatus::Fail, "{item:#?}");
    let found: Vec<&str> = item
        .details
        .iter()
        .filter_map(|d| d.split('"').nth(1))
        .collect();
    assert_eq!(
        found,
        vec!["the best", "clinically proven", "guaranteed return"],
        "{:#?}",
        item.details
    );
    assert!(
        item.details[0].starts_with("script.txt:2:9"),
        "{}",
        item.details[0]
    );
    assert!(
        item.details[0].contains("Advertising Law art. 9"),
        "{}",
        item.details[0]
    );
}

#[test]
fn clean_scripts_have_no_hits() {
    for (name, text) in [("clean-zh", CLEAN_ZH), ("clean-en", CLEAN_EN)] {
        let item = check_compliance(&shipped_lists(), &script(name, text), Language::Zh);
        assert_eq!(
            item.status,
            CheckStatus::Pass,
            "{name}: {:#?}",
            item.details
        );
        assert!(item.details.is_empty());
    }
}
