//! Scene and source edits: each is saved at once (atomically, by the store) and, when the
//! running session cannot follow it, rebuilds the session soon (while on air, only when the
//! host applies it).

use super::{Level, Studio};
use crate::i18n::Tr;
use kaibo_model::{Layout, Scene, SceneCollection, SceneSource, SourceKind};

impl Studio {
    /// Shows scene `index` on the program, with the transition from the settings.
    pub(super) fn switch_to(&mut self, index: usize) {
        if index >= self.collection.scenes.len() || index == self.active {
            return;
        }
        if self.live.pending_apply {
            // The session does not know the edited scenes yet.
            let text = self.tr().t(
                "Apply your scene changes first: the running session still has the old scenes",
                "请先应用场景修改：当前直播仍在使用修改前的场景",
            );
            self.notify(Level::Warn, text);
            return;
        }
        self.active = index;
        self.selected = None;
        let transition = self.settings.transition();
        self.send_switch(index, transition);
    }

    pub(super) fn add_scene(&mut self, base: &str) {
        let name = self.unique_name(base);
        self.collection.scenes.push(Scene {
            name,
            sources: vec![],
        });
        self.scenes_changed();
    }

    pub(super) fn duplicate_scene(&mut self, i: usize) {
        let Some(mut copy) = self.collection.scenes.get(i).cloned() else {
            return;
        };
        copy.name = self.unique_name(&copy.name);
        self.collection.scenes.insert(i + 1, copy);
        self.scenes_changed();
    }

    pub(super) fn delete_scene(&mut self, i: usize) {
        if self.collection.scenes.len() > 1 && i < self.collection.scenes.len() {
            self.collection.scenes.remove(i);
            self.active = self.active.min(self.collection.scenes.len() - 1);
            self.selected = None;
            self.scenes_changed();
        }
    }

    pub(super) fn move_scene(&mut self, i: usize, by: isize) {
        let j = i as isize + by;
        if i < self.collection.scenes.len() && j >= 0 && (j as usize) < self.collection.scenes.len()
        {
            self.collection.scenes.swap(i, j as usize);
            if self.active == i {
                self.active = j as usize;
            }
            self.scenes_changed();
        }
    }

    pub(super) fn rename_scene(&mut self, i: usize, name: &str) {
        let name = name.trim();
        if let Some(scene) = self.collection.scenes.get_mut(i)
            && !name.is_empty()
        {
            // Names mean nothing to the running session: no rebuild.
            scene.name = name.to_owned();
            self.save_scenes();
        }
    }

    /// `base N` with the smallest N no scene uses.
    fn unique_name(&self, base: &str) -> String {
        let base = base.trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ');
        (1..)
            .map(|n| format!("{base} {n}"))
            .find(|name| self.collection.scenes.iter().all(|s| &s.name != name))
            .unwrap_or_else(|| base.to_string())
    }

    /// Adds a source to the active scene and selects it. An image or clip must exist.
    pub(super) fn add_source(&mut self, name: String, input: SourceKind) {
        if let SourceKind::Image { path } | SourceKind::Media { path } = &input
            && !std::path::Path::new(path).is_file()
        {
            let text = format!("{}: {path}", self.tr().t("No such file", "文件不存在"));
            self.notify(Level::Error, text);
            return;
        }
        let canvas = self.collection.canvas;
        let Some(scene) = self.collection.scenes.get_mut(self.active) else {
            return;
        };
        // Give it the place the default arrangement would, made explicit so it can be edited.
        let mut probe = scene.clone();
        probe.sources.push(SceneSource {
            name: name.clone(),
            input: input.clone(),
            layout: None,
            audio: Default::default(),
        });
        let layout: Option<Layout> = probe.resolved_layouts(canvas).pop().flatten();
        scene.sources.push(SceneSource {
            name,
            input,
            layout,
            audio: Default::default(),
        });
        self.selected = Some(scene.sources.len() - 1);
        self.scenes_changed();
    }

    pub(super) fn remove_source(&mut self, i: usize) {
        let Some(scene) = self.collection.scenes.get_mut(self.active) else {
            return;
        };
        if i < scene.sources.len() {
            scene.sources.remove(i);
            self.selected = None;
            self.scenes_changed();
        }
    }

    pub(super) fn toggle_source(&mut self, i: usize) {
        let canvas = self.collection.canvas;
        let Some(scene) = self.collection.scenes.get_mut(self.active) else {
            return;
        };
        if let Some(Some(mut l)) = scene.resolved_layouts(canvas).get(i).copied() {
            l.visible = !l.visible;
            scene.sources[i].layout = Some(l);
            self.scenes_changed();
        }
    }

    pub(super) fn swap_sources(&mut self, a: usize, b: usize) {
        let canvas = self.collection.canvas;
        let Some(scene) = self.collection.scenes.get_mut(self.active) else {
            return;
        };
        if a >= scene.sources.len() || b >= scene.sources.len() {
            return;
        }
        // Make the arrangement explicit so the order change is kept as drawn.
        let layouts = scene.resolved_layouts(canvas);
        for (s, l) in scene.sources.iter_mut().zip(layouts) {
            s.layout = s.layout.or(l);
        }
        scene.sources.swap(a, b);
        // Keep drawing order equal to list order: the two swap their z as well.
        if let (Some(la), Some(lb)) = (scene.sources[a].layout, scene.sources[b].layout) {
            scene.sources[a].layout = Some(Layout { z: lb.z, ..la });
            scene.sources[b].layout = Some(Layout { z: la.z, ..lb });
        }
        self.selected = Some(b);
        self.scenes_changed();
    }

    /// A source's place, size, crop and opacity (sizes kept even for the encoder).
    pub(super) fn set_layout(&mut self, i: usize, mut layout: Layout, settled: bool) {
        layout.width = layout.width.max(2) & !1;
        layout.height = layout.height.max(2) & !1;
        let Some(source) = self
            .collection
            .scenes
            .get_mut(self.active)
            .and_then(|s| s.sources.get_mut(i))
        else {
            return;
        };
        source.layout = Some(layout);
        if settled {
            self.scenes_changed();
        }
    }

    /// Gain and mute go to the session at once (no rebuild). The same device in other scenes
    /// is the same capture: they are kept in step.
    pub(super) fn set_audio(&mut self, input: &SourceKind, gain_db: f64, muted: bool) {
        self.send_audio(input, gain_db, muted);
        for s in self
            .collection
            .scenes
            .iter_mut()
            .flat_map(|s| s.sources.iter_mut())
            .filter(|s| s.input == *input)
        {
            s.audio.gain_db = gain_db;
            s.audio.muted = muted;
        }
        self.save_scenes();
    }
}

/// The collection a first start shows: one scene with the screen.
pub fn default_collection(tr: Tr) -> SceneCollection {
    SceneCollection {
        version: 1,
        canvas: Default::default(),
        scenes: vec![Scene {
            name: tr.t("Scene 1", "场景 1").into(),
            sources: vec![SceneSource {
                name: tr.t("Screen", "屏幕").into(),
                input: SourceKind::Screen { display: None },
                layout: None,
                audio: Default::default(),
            }],
        }],
    }
}
