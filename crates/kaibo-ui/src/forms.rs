//! What the host is typing: the window's own state, kept between frames and never the
//! studio's (the studio gets a form's content as a command when the host confirms it).

use kaibo_model::AppSettings;

/// Every form and half-finished edit of the window.
pub(crate) struct Forms {
    pub settings: crate::settings_panel::SettingsForm,
    pub add_source: crate::sources_panel::AddForm,
    /// The scene being renamed and its new name as typed.
    pub rename: Option<(usize, String)>,
    /// The rename field got the keyboard focus.
    pub rename_focused: bool,
    /// The show script's path as typed in the checklist.
    pub script: Option<String>,
    pub interactions: crate::interactions_panel::InteractionsForm,
}

impl Forms {
    pub fn new(settings: &AppSettings) -> Self {
        Self {
            settings: crate::settings_panel::SettingsForm::from_settings(settings),
            add_source: Default::default(),
            rename: None,
            rename_focused: false,
            script: None,
            interactions: Default::default(),
        }
    }
}
