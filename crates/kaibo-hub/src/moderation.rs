//! Moderation word lists: every `*.toml` in a folder (normally `assets/wordlists/`) whose `id`
//! starts with `moderation` is loaded; other lists there (the compliance check's advertising
//! terms) are left to the compliance check, since they would hold ordinary viewer questions.
//! A question with any hit is held for the host's approval.

use crate::error::HubError;
use kaibo_model::WordList;
use kaibo_model::wordlist::scan_all;
use std::path::Path;

/// The id prefix that marks a list as a moderation list.
pub const MODERATION_PREFIX: &str = "moderation";

/// The moderation list shipped with Kaibo (`assets/wordlists/moderation.toml`), built in.
pub const BUILT_IN: &str = include_str!("../../../assets/wordlists/moderation.toml");

/// The built-in moderation list.
pub fn built_in() -> Result<Vec<WordList>, HubError> {
    let list = WordList::from_toml_str(BUILT_IN, "assets/wordlists/moderation.toml")
        .map_err(|e| HubError::WordLists(e.to_string()))?;
    Ok(vec![list])
}

/// Every moderation list in `dir` (files sorted by name). A broken file is an error naming it.
pub fn load_dir(dir: &Path) -> Result<Vec<WordList>, HubError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| HubError::WordLists(format!("{}: {e}", dir.display())))?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut lists = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| HubError::WordLists(format!("{}: {e}", path.display())))?;
        let list = WordList::from_toml_str(&text, &path.display().to_string())
            .map_err(|e| HubError::WordLists(e.to_string()))?;
        if list.id.starts_with(MODERATION_PREFIX) {
            lists.push(list);
        }
    }
    Ok(lists)
}

/// The hits of `text` as `list-id:term`, deduplicated; empty when the text is clean.
pub fn flags(lists: &[WordList], text: &str) -> Vec<String> {
    let mut out: Vec<String> = scan_all(lists, text)
        .into_iter()
        .map(|h| format!("{}:{}", h.list, h.term))
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_folder_loads_only_moderation_lists_and_they_catch_bait() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/wordlists");
        let lists = load_dir(&dir).expect("shipped lists parse");
        assert!(!lists.is_empty());
        assert!(lists.iter().all(|l| l.id.starts_with(MODERATION_PREFIX)));
        assert!(!flags(&lists, "加我微信领红包").is_empty());
        assert!(!flags(&lists, "you are an IDIOT").is_empty());
        assert!(flags(&lists, "请问这个课程什么时候开始？").is_empty());
        assert_eq!(built_in().expect("built in").len(), 1);
    }
}
