//! CJK glyphs: egui ships no Chinese font, so one is loaded from the system (Noto Sans CJK,
//! Debian's `fonts-noto-cjk`) through fontconfig and added as a fallback to every family.

use eframe::egui;
use std::path::PathBuf;
use std::process::Command;

/// Families fontconfig is asked for, best first.
const FAMILIES: &[&str] = &[
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
];

/// A font file and the face index within it (`.ttc` collections hold several).
#[derive(Clone, Debug, PartialEq)]
pub struct FontFile {
    pub path: PathBuf,
    pub index: u32,
}

/// Asks fontconfig for a font that covers Simplified Chinese.
pub fn find_cjk_font() -> Option<FontFile> {
    for family in FAMILIES {
        let out = Command::new("fc-match")
            .args([
                "-f",
                "%{file}\t%{index}\t%{lang}",
                &format!("{family}:lang=zh-cn"),
            ])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.splitn(3, '\t');
        let (Some(file), Some(index), Some(langs)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        // fc-match always answers with something; only take a face that covers Chinese.
        if langs.split('|').any(|l| l.trim() == "zh-cn") {
            return Some(FontFile {
                path: PathBuf::from(file),
                index: index.trim().parse().unwrap_or(0),
            });
        }
    }
    None
}

/// Adds the CJK font to egui; returns an explanation for the host when there is none.
pub fn install_cjk(ctx: &egui::Context) -> Result<FontFile, String> {
    let font = find_cjk_font().ok_or_else(|| {
        "no Chinese font found: install fonts-noto-cjk (sudo apt install fonts-noto-cjk), then restart Kaibo".to_string()
    })?;
    let bytes = map_for_life(&font.path)
        .map_err(|e| format!("cannot read the font {}: {e}", font.path.display()))?;
    let mut data = egui::FontData::from_static(bytes);
    data.index = font.index;
    ctx.add_font(egui::epaint::text::FontInsert::new(
        "kaibo-cjk",
        data,
        vec![
            egui::epaint::text::InsertFontFamily {
                family: egui::FontFamily::Proportional,
                priority: egui::epaint::text::FontPriority::Lowest,
            },
            egui::epaint::text::InsertFontFamily {
                family: egui::FontFamily::Monospace,
                priority: egui::epaint::text::FontPriority::Lowest,
            },
        ],
    ));
    Ok(font)
}

/// Maps a font file read-only for the rest of the process. A Noto Sans CJK collection is
/// about 19 MiB; read into memory it all stays resident, mapped only the pages of the glyphs
/// drawn do (the window's resident memory is one of its benchmark figures).
#[allow(unsafe_code)]
fn map_for_life(path: &std::path::Path) -> std::io::Result<&'static [u8]> {
    let file = std::fs::File::open(path)?;
    // SAFETY: the mapping is read-only and private to this process. It would go wrong only if
    // the file were truncated or rewritten in place while Kaibo runs; package managers replace
    // font files by renaming a new file over them, which leaves this mapping on the old one.
    // fontdb maps the same files the same way for the overlay renderer.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(Box::leak(Box::new(map)))
}
