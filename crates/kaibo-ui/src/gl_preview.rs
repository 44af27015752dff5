//! The program preview drawn straight with OpenGL when the window runs on eframe's glow
//! backend: the engine's picture (RGBA, or BGRx for the child window) goes into one GL texture
//! with `glTexSubImage2D` as it is, and a quad samples it with blending off, swapping red and
//! blue for BGRx.
//!
//! Through egui's texture manager each picture was converted pixel by pixel into a
//! `ColorImage`, copied into a texture delta and drawn with egui's blended, vertex-coloured
//! shader; on software OpenGL (llvmpipe) that quad was about half of the window's drawing.
//! Where there is no glow context (egui_kittest's renderer) the app keeps egui's texture path.
//!
//! OpenGL calls through `glow` are `unsafe`: they act on the context current on this thread.
//! egui_glow runs the paint callback on that thread, between its own draws, and restores its
//! state afterwards; every call here is confined to this module.
#![allow(unsafe_code)]

use eframe::egui;
use eframe::egui_glow::{self, ShaderVersion, glow};
use glow::HasContext;
use kaibo_model::{PixelLayout, PreviewFrame};
use std::sync::{Arc, Mutex};

/// The newest picture and the GL objects that show it; shared with the paint callback.
#[derive(Default)]
struct Shared {
    /// A picture not uploaded yet.
    pending: Option<Arc<PreviewFrame>>,
    /// The size of the picture in the texture, once one was uploaded.
    uploaded: Option<(u32, u32)>,
    /// The byte order of the picture in the texture.
    layout: PixelLayout,
    gl: Option<GlObjects>,
    /// The shader did not build: the app goes back to egui's texture path.
    failed: bool,
}

struct GlObjects {
    program: glow::Program,
    /// 1.0 when the texture holds BGRx.
    swap: Option<glow::UniformLocation>,
    texture: glow::Texture,
    vertex_array: glow::VertexArray,
}

/// The preview's GL state; cheap to clone into a paint callback.
#[derive(Clone, Default)]
pub struct GlPreview {
    shared: Arc<Mutex<Shared>>,
    /// The size of the newest picture handed over, for the layout.
    size: Option<(u32, u32)>,
}

impl GlPreview {
    /// Hands over the newest picture; it is uploaded at the next paint.
    pub fn set_frame(&mut self, frame: Arc<PreviewFrame>) {
        self.size = Some((frame.width, frame.height));
        if let Ok(mut s) = self.shared.lock() {
            s.pending = Some(frame);
        }
    }

    /// Notes the size of a picture shown elsewhere (the child window), for the layout.
    pub fn set_size(&mut self, width: u32, height: u32) {
        self.size = Some((width, height));
    }

    /// The picture's size in pixels, once there is one.
    pub fn size(&self) -> Option<egui::Vec2> {
        self.size.map(|(w, h)| egui::vec2(w as f32, h as f32))
    }

    /// False once the GL program could not be built on this driver.
    pub fn works(&self) -> bool {
        self.shared.lock().is_ok_and(|s| !s.failed)
    }

    /// Paints the picture into `rect`.
    pub fn paint(&self, painter: &egui::Painter, rect: egui::Rect) {
        let shared = Arc::clone(&self.shared);
        let callback = egui_glow::CallbackFn::new(move |_info, painter| {
            let Ok(mut s) = shared.lock() else { return };
            // SAFETY: called by egui_glow on the thread that owns the current GL context,
            // with egui's own state restored by the painter after the callback.
            unsafe { s.draw(painter.gl()) };
        });
        painter.add(egui::PaintCallback {
            rect,
            callback: Arc::new(callback),
        });
    }
}

impl Shared {
    unsafe fn draw(&mut self, gl: &glow::Context) {
        if self.failed {
            return;
        }
        if self.gl.is_none() {
            match unsafe { GlObjects::new(gl) } {
                Ok(objects) => self.gl = Some(objects),
                Err(e) => {
                    log::warn!("the preview's OpenGL shader did not build ({e}); using egui's");
                    self.failed = true;
                    return;
                }
            }
        }
        let Some(objects) = &self.gl else { return };
        unsafe {
            gl.active_texture(glow::TEXTURE0);
            gl.bind_texture(glow::TEXTURE_2D, Some(objects.texture));
            gl.pixel_store_i32(glow::UNPACK_ALIGNMENT, 4);
            if let Some(frame) = self.pending.take() {
                let (w, h) = (frame.width as i32, frame.height as i32);
                self.layout = frame.layout;
                let pixels = glow::PixelUnpackData::Slice(Some(&frame.pixels));
                if self.uploaded == Some((frame.width, frame.height)) {
                    gl.tex_sub_image_2d(
                        glow::TEXTURE_2D,
                        0,
                        0,
                        0,
                        w,
                        h,
                        glow::RGBA,
                        glow::UNSIGNED_BYTE,
                        pixels,
                    );
                } else {
                    gl.tex_image_2d(
                        glow::TEXTURE_2D,
                        0,
                        glow::RGBA8 as i32,
                        w,
                        h,
                        0,
                        glow::RGBA,
                        glow::UNSIGNED_BYTE,
                        pixels,
                    );
                    self.uploaded = Some((frame.width, frame.height));
                }
            }
            if self.uploaded.is_none() {
                return;
            }
            gl.disable(glow::BLEND);
            // `u_picture` keeps its default, texture unit 0.
            gl.use_program(Some(objects.program));
            let swap = f32::from(u8::from(self.layout == PixelLayout::Bgrx));
            gl.uniform_1_f32(objects.swap.as_ref(), swap);
            gl.bind_vertex_array(Some(objects.vertex_array));
            gl.draw_arrays(glow::TRIANGLE_STRIP, 0, 4);
            gl.bind_vertex_array(None);
        }
    }
}

impl GlObjects {
    /// Builds the program (a full-viewport quad from the vertex index) and the texture.
    unsafe fn new(gl: &glow::Context) -> Result<Self, String> {
        let version = ShaderVersion::get(gl);
        if !version.is_new_shader_interface() {
            return Err(format!("{version:?} has no gl_VertexID"));
        }
        let header = version.version_declaration();
        let vertex = format!(
            "{header}
out vec2 v_tc;
void main() {{
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    v_tc = vec2(corner.x, 1.0 - corner.y);
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}}"
        );
        let precision = if version.is_embedded() {
            "precision mediump float;"
        } else {
            ""
        };
        let fragment = format!(
            "{header}
{precision}
uniform sampler2D u_picture;
uniform float u_swap;
in vec2 v_tc;
out vec4 f_color;
void main() {{
    vec4 c = texture(u_picture, v_tc);
    f_color = mix(c, vec4(c.b, c.g, c.r, 1.0), u_swap);
}}"
        );
        unsafe {
            let program = gl.create_program()?;
            let mut shaders = Vec::new();
            for (kind, source) in [
                (glow::VERTEX_SHADER, vertex),
                (glow::FRAGMENT_SHADER, fragment),
            ] {
                let shader = gl.create_shader(kind)?;
                gl.shader_source(shader, &source);
                gl.compile_shader(shader);
                if !gl.get_shader_compile_status(shader) {
                    return Err(gl.get_shader_info_log(shader));
                }
                gl.attach_shader(program, shader);
                shaders.push(shader);
            }
            gl.link_program(program);
            if !gl.get_program_link_status(program) {
                return Err(gl.get_program_info_log(program));
            }
            for shader in shaders {
                gl.detach_shader(program, shader);
                gl.delete_shader(shader);
            }
            let texture = gl.create_texture()?;
            gl.bind_texture(glow::TEXTURE_2D, Some(texture));
            for (name, value) in [
                (glow::TEXTURE_MIN_FILTER, glow::LINEAR),
                (glow::TEXTURE_MAG_FILTER, glow::LINEAR),
                (glow::TEXTURE_WRAP_S, glow::CLAMP_TO_EDGE),
                (glow::TEXTURE_WRAP_T, glow::CLAMP_TO_EDGE),
            ] {
                gl.tex_parameter_i32(glow::TEXTURE_2D, name, value as i32);
            }
            let vertex_array = gl.create_vertex_array()?;
            Ok(Self {
                swap: gl.get_uniform_location(program, "u_swap"),
                program,
                texture,
                vertex_array,
            })
        }
    }
}
