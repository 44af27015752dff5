//! The preview area in the middle of the window: the program's pictures from the session's
//! monitor, drawn by OpenGL directly (eframe's glow backend), by the X11 child window when
//! nothing of egui's lies over it, or through egui's texture (egui_kittest). Dragging in it
//! moves the selected source.

use crate::gl_preview::GlPreview;
use crate::native_preview::{NativePreview, Placement};
use crate::studio::{Studio, UiCommand};
use eframe::egui;
use kaibo_model::PreviewFormat;

/// The preview's pictures and how they reach the screen.
#[derive(Default)]
pub(crate) struct PreviewArea {
    /// egui's texture, where there is no OpenGL (egui_kittest).
    texture: Option<egui::TextureHandle>,
    gl: Option<GlPreview>,
    native: Option<NativePreview>,
    /// The child window shows the preview now: the window need not redraw for it.
    native_active: bool,
    /// The meters' levels at the last redraw (source, whole dB).
    meters_drawn: Vec<(String, i32)>,
    /// The sequence number of the last picture taken (numbers run on across sessions).
    seq: u64,
    /// Pictures taken, over all sessions.
    taken: u64,
}

impl PreviewArea {
    /// The preview of a real window: OpenGL, and the child window when there is one.
    pub fn new(gl: GlPreview, native: Option<NativePreview>) -> Self {
        Self {
            gl: Some(gl),
            native,
            ..Default::default()
        }
    }

    pub fn has_gl(&self) -> bool {
        self.gl.is_some()
    }

    pub fn frames_taken(&self) -> u64 {
        self.taken
    }

    /// The child window shows the pictures: the window redraws only for the interface.
    pub fn native_active(&self) -> bool {
        self.native_active
    }

    /// Takes the newest picture from the session, if there is a new one.
    pub fn take_picture(&mut self, ctx: &egui::Context, studio: &Studio) {
        let Some(monitor) = studio.monitor() else {
            return;
        };
        let Some(frame) = monitor.frame_after(self.seq) else {
            return;
        };
        self.seq = frame.seq;
        self.taken += 1;
        if let Some(gl) = self.gl.as_mut().filter(|g| g.works()) {
            // While the child window shows the pictures OpenGL only needs their size; holding
            // one for it would keep a buffer out of the engine's pool.
            if self.native_active {
                gl.set_size(frame.width, frame.height);
            } else {
                gl.set_frame(frame);
            }
            return;
        }
        let image = egui::ColorImage::from_rgba_unmultiplied(
            [frame.width as usize, frame.height as usize],
            &frame.rgba(),
        );
        match &mut self.texture {
            Some(t) => t.set(image, egui::TextureOptions::LINEAR),
            None => {
                self.texture =
                    Some(ctx.load_texture("program-preview", image, egui::TextureOptions::LINEAR));
            }
        }
    }

    /// Whether a level meter moved by a decibel or more since the last redraw.
    pub fn meters_moved(&mut self, studio: &Studio) -> bool {
        let now: Vec<(String, i32)> = studio
            .levels()
            .into_iter()
            .map(|l| (l.source, l.rms_db.round() as i32))
            .collect();
        let moved = now != self.meters_drawn;
        self.meters_drawn = now;
        moved
    }

    pub fn panel(&mut self, ui: &mut egui::Ui, studio: &Studio, out: &mut Vec<UiCommand>) {
        let tr = studio.tr();
        if studio.preview_held() {
            ui.label(tr.t(
                "The preview is paused while the checklist tests the devices",
                "开播检查正在测试设备，预览暂停",
            ));
        }
        let avail = ui.available_size();
        let ppp = ui.ctx().pixels_per_point();
        let avail_px = ((avail.x * ppp) as u32, (avail.y * ppp) as u32);
        if self.gl.is_some() {
            // Pictures the size of the area: drawn 1:1, and the child window needs that. Its
            // byte order when there is one (OpenGL takes either).
            let wanted = PreviewFormat {
                width: avail_px.0,
                height: avail_px.1,
                layout: self.native.as_ref().map(|n| n.layout()).unwrap_or_default(),
            };
            // Asked once per change: a command each frame would redraw the window each frame.
            if studio.preview_format() != Some(wanted) {
                out.push(UiCommand::PreviewFormat(wanted));
            }
        }
        let gl = self.gl.clone().filter(|g| g.works());
        let size = match (&gl, &self.texture) {
            (Some(gl), _) => gl.size(),
            (None, Some(texture)) => Some(texture.size_vec2()),
            (None, None) => None,
        };
        let Some(size) = size else {
            self.show_native(studio, None);
            ui.centered_and_justified(|ui| {
                ui.label(tr.t("Starting the preview…", "正在启动预览…"));
            });
            return;
        };
        // The child window shows the picture when a session sends pictures in the area's size
        // and nothing of egui's (a window, menu, notice or a source being dragged) lies over
        // the area; otherwise OpenGL draws the last picture.
        let fills = |have: f32, room: u32| (have - room as f32).abs() <= 2.0;
        let native = self.native.as_ref().is_some_and(|n| n.works())
            && studio.monitor().is_some()
            && !studio.preview_held()
            && studio.selected_source().is_none()
            && size.x <= avail_px.0 as f32 + 1.0
            && size.y <= avail_px.1 as f32 + 1.0
            && (fills(size.x, avail_px.0) || fills(size.y, avail_px.1))
            && !egui_over(ui.ctx(), ui.available_rect_before_wrap());
        let scale = (avail.x / size.x).min(avail.y / size.y).max(0.01);
        let shown = if native { size / ppp } else { size * scale };
        let (picture, response) = ui
            .centered_and_justified(|ui| match (&gl, &self.texture) {
                (Some(gl), _) => {
                    let (rect, response) =
                        ui.allocate_exact_size(shown, egui::Sense::click_and_drag());
                    if !native {
                        gl.paint(ui.painter(), rect);
                    }
                    (rect, response)
                }
                (None, Some(texture)) => {
                    let response = ui.add(
                        egui::Image::new((texture.id(), shown))
                            .sense(egui::Sense::click_and_drag()),
                    );
                    (response.rect, response)
                }
                (None, None) => {
                    let response = ui.allocate_response(shown, egui::Sense::hover());
                    (response.rect, response)
                }
            })
            .inner;
        let placement = native.then(|| Placement {
            x: (picture.min.x * ppp).round() as i32,
            y: (picture.min.y * ppp).round() as i32,
            width: size.x as u32,
            height: size.y as u32,
        });
        self.show_native(studio, placement);
        drag_selected(ui, studio, picture, &response, out);
    }

    /// Shows the preview's child window at `placement`, or hides it.
    fn show_native(&mut self, studio: &Studio, placement: Option<Placement>) {
        let Some(native) = &self.native else {
            return;
        };
        let monitor = placement.and_then(|_| studio.monitor());
        let was_active = self.native_active;
        self.native_active = monitor.is_some() && native.works();
        native.show(monitor, placement);
        // OpenGL takes over: it gets the newest picture for this very redraw (its paint
        // callback reads it after this pass), not the one it last drew.
        if was_active && !self.native_active {
            let newest = studio.monitor().and_then(|m| m.frame_after(0));
            if let (Some(gl), Some(frame)) = (self.gl.as_mut(), newest) {
                gl.set_frame(frame);
            }
        }
    }
}

/// Outlines the selected source on the picture at `picture` and moves it by dragging.
fn drag_selected(
    ui: &egui::Ui,
    studio: &Studio,
    picture: egui::Rect,
    image: &egui::Response,
    out: &mut Vec<UiCommand>,
) {
    let canvas = studio.scenes().canvas;
    let to_canvas = f64::from(canvas.width) / f64::from(picture.width().max(1.0));
    let Some(i) = studio.selected_source() else {
        return;
    };
    let Some(scene) = studio.scenes().scenes.get(studio.active_scene()) else {
        return;
    };
    let Some(Some(mut l)) = scene.resolved_layouts(canvas).get(i).copied() else {
        return;
    };
    let to_screen = 1.0 / to_canvas as f32;
    let rect = egui::Rect::from_min_size(
        picture.min + egui::vec2(l.x as f32, l.y as f32) * to_screen,
        egui::vec2(l.width as f32, l.height as f32) * to_screen,
    );
    ui.painter().rect_stroke(
        rect,
        0.0,
        egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 200, 0)),
        egui::StrokeKind::Outside,
    );
    let settled = image.drag_stopped();
    if image.dragged() || settled {
        let d = image.drag_delta();
        l.x += (f64::from(d.x) * to_canvas).round() as i32;
        l.y += (f64::from(d.y) * to_canvas).round() as i32;
        out.push(UiCommand::SetLayout {
            source: i,
            layout: l,
            settled,
        });
    }
}

/// Whether a window, menu, tooltip or notice of egui's (as of the last frame) lies over `rect`.
fn egui_over(ctx: &egui::Context, rect: egui::Rect) -> bool {
    ctx.memory(|m| {
        m.areas()
            .visible_layer_ids()
            .into_iter()
            .filter(|layer| layer.order != egui::Order::Background)
            .any(|layer| m.area_rect(layer.id).is_some_and(|r| r.intersects(rect)))
    })
}
