//! The program preview shown in an X11 child window of the Kaibo window, drawn by a thread of
//! its own with `PutImage`, so egui redraws the window only when the interface changes.
//!
//! On software OpenGL every egui redraw fills the whole window, and a 15 fps preview inside
//! egui made the window redraw 15 times a second for the sake of one rectangle. Here the
//! engine scales the picture to the preview area's exact size and in the X server's byte order
//! (see [`NativePreview::layout`]), and this thread puts it into the child window as it is;
//! the window stays still.
//!
//! The child window covers whatever egui draws under it, so the app uses it only while
//! nothing of egui's lies over the preview (no floating window, menu or notice, no source
//! being dragged) and otherwise hides it and draws the preview through OpenGL again. Only X11
//! (or XWayland) windows get one; elsewhere the app keeps the OpenGL path.

use kaibo_model::{Monitor, PixelLayout};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{
    ConfigureWindowAux, ConnectionExt, CreateGCAux, CreateWindowAux, Gcontext, ImageFormat,
    ImageOrder, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;

/// Where the picture goes, in the parent window's pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

#[derive(Default)]
struct Wanted {
    monitor: Option<Arc<Monitor>>,
    /// `None` hides the child window.
    placement: Option<Placement>,
    stop: bool,
    /// The drawing thread ended (the X connection broke): the app draws the preview again.
    lost: bool,
}

/// The child window and the thread that draws into it.
pub struct NativePreview {
    depth: u8,
    wanted: Arc<Mutex<Wanted>>,
    thread: Option<JoinHandle<()>>,
}

impl NativePreview {
    /// Creates a hidden child window of the X11 window `parent` on `$DISPLAY`.
    pub fn start(parent: u32) -> Result<Self, String> {
        let (conn, _) = x11rb::connect(None).map_err(|e| e.to_string())?;
        let depth = conn
            .get_geometry(parent)
            .map_err(|e| e.to_string())?
            .reply()
            .map_err(|e| e.to_string())?
            .depth;
        let setup = conn.setup();
        let bpp = setup
            .pixmap_formats
            .iter()
            .find(|f| f.depth == depth)
            .map(|f| f.bits_per_pixel);
        if !matches!(depth, 24 | 32)
            || bpp != Some(32)
            || setup.image_byte_order != ImageOrder::LSB_FIRST
        {
            return Err(format!(
                "a {depth}-bit window with {bpp:?} bits per pixel is not supported"
            ));
        }
        let window = conn.generate_id().map_err(|e| e.to_string())?;
        let gc = conn.generate_id().map_err(|e| e.to_string())?;
        // No event mask: pointer events go on to the Kaibo window underneath.
        conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            window,
            parent,
            0,
            0,
            2,
            2,
            0,
            WindowClass::INPUT_OUTPUT,
            x11rb::COPY_FROM_PARENT,
            &CreateWindowAux::new().background_pixel(0),
        )
        .map_err(|e| e.to_string())?;
        conn.create_gc(gc, window, &CreateGCAux::new())
            .map_err(|e| e.to_string())?;
        conn.flush().map_err(|e| e.to_string())?;
        let wanted: Arc<Mutex<Wanted>> = Arc::default();
        let drawer = Drawer {
            conn,
            window,
            gc,
            depth,
            pixels: Vec::new(),
        };
        let thread = std::thread::Builder::new()
            .name("kaibo-preview".into())
            .spawn({
                let wanted = Arc::clone(&wanted);
                move || drawer.run(&wanted)
            })
            .map_err(|e| e.to_string())?;
        Ok(Self {
            depth,
            wanted,
            thread: Some(thread),
        })
    }

    /// The byte order to ask the engine for: the server's own for a 24-bit window, so the
    /// pictures go out untouched (a 32-bit one wants its pad byte opaque).
    pub fn layout(&self) -> PixelLayout {
        if takes_bgrx_as_is(self.depth) {
            PixelLayout::Bgrx
        } else {
            PixelLayout::Rgba
        }
    }

    /// False once the window or its connection was lost.
    pub fn works(&self) -> bool {
        self.wanted.lock().is_ok_and(|w| !w.lost)
    }

    /// Shows the pictures of `monitor` at `placement`, or hides the window (`None`).
    pub fn show(&self, monitor: Option<Arc<Monitor>>, placement: Option<Placement>) {
        if let Ok(mut w) = self.wanted.lock() {
            w.monitor = monitor;
            w.placement = placement;
        }
    }
}

impl Drop for NativePreview {
    fn drop(&mut self) {
        if let Ok(mut w) = self.wanted.lock() {
            w.stop = true;
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether a window of `depth` bits shows BGRx pictures as they are: a 24-bit one ignores
/// the pad byte, a 32-bit one would take it as alpha.
fn takes_bgrx_as_is(depth: u8) -> bool {
    depth == 24
}

/// `layout`'s pixels to the X server's 32-bit ones (little-endian B, G, R, then an opaque
/// pad byte), a word at a time so that the compiler can vectorise it.
fn to_server_order(pixels: &[u8], layout: PixelLayout, out: &mut [u8]) {
    for (from, to) in pixels.chunks_exact(4).zip(out.chunks_exact_mut(4)) {
        let p = u32::from_le_bytes([from[0], from[1], from[2], from[3]]);
        let server = match layout {
            PixelLayout::Rgba => ((p & 0xff) << 16) | ((p >> 16) & 0xff) | (p & 0xff00),
            PixelLayout::Bgrx => p,
        } | 0xff00_0000;
        to.copy_from_slice(&server.to_le_bytes());
    }
}

struct Drawer {
    conn: RustConnection,
    window: Window,
    gc: Gcontext,
    depth: u8,
    /// The picture in the server's byte order when it did not come so, reused.
    pixels: Vec<u8>,
}

impl Drawer {
    fn run(mut self, wanted: &Mutex<Wanted>) {
        let mut shown: Option<Placement> = None;
        let mut seen = 0;
        loop {
            let (monitor, placement) = match wanted.lock() {
                Ok(w) if !w.stop => (w.monitor.clone(), w.placement),
                _ => break,
            };
            let placement = placement.filter(|_| monitor.is_some());
            if placement != shown {
                if self.place(placement).is_err() {
                    log::warn!("the preview window was lost; the preview is drawn by OpenGL");
                    break;
                }
                shown = placement;
                // Draw the newest picture at once in the new place.
                seen = 0;
            }
            let (Some(monitor), Some(at)) = (monitor, shown) else {
                std::thread::sleep(Duration::from_millis(30));
                continue;
            };
            let Some(frame) = monitor.wait_frame_after(seen, Duration::from_millis(50)) else {
                continue;
            };
            seen = frame.seq;
            // While the engine changes the size, pictures of the old one are skipped.
            if (frame.width, frame.height) != (at.width, at.height) {
                continue;
            }
            // Pictures in the layout asked for (see `NativePreview::layout`) go out as they came.
            let as_is = frame.layout == PixelLayout::Bgrx && takes_bgrx_as_is(self.depth);
            if !as_is {
                self.pixels.resize(frame.pixels.len(), 0);
                to_server_order(&frame.pixels, frame.layout, &mut self.pixels);
            }
            let bytes = if as_is {
                &frame.pixels
            } else {
                &self.pixels[..]
            };
            if self.put(frame.width, bytes).is_err() {
                log::warn!("the preview window was lost; the preview is drawn by OpenGL");
                break;
            }
        }
        if let Ok(mut w) = wanted.lock() {
            w.lost = !w.stop;
        }
        let _ = self.conn.destroy_window(self.window);
        let _ = self.conn.flush();
    }

    fn place(&self, placement: Option<Placement>) -> Result<(), x11rb::errors::ConnectionError> {
        match placement {
            Some(p) => {
                self.conn.configure_window(
                    self.window,
                    &ConfigureWindowAux::new()
                        .x(p.x)
                        .y(p.y)
                        .width(p.width)
                        .height(p.height),
                )?;
                self.conn.map_window(self.window)?;
            }
            None => {
                self.conn.unmap_window(self.window)?;
            }
        }
        self.conn.flush()
    }

    /// Puts `pixels` in bands of rows that fit the server's largest request.
    fn put(&self, width: u32, pixels: &[u8]) -> Result<(), x11rb::errors::ConnectionError> {
        let row = width as usize * 4;
        let rows_per_band = ((self.conn.maximum_request_bytes() - 64) / row).max(1);
        for (band, chunk) in pixels.chunks(rows_per_band * row).enumerate() {
            let rows = chunk.len() / row;
            self.conn.put_image(
                ImageFormat::Z_PIXMAP,
                self.window,
                self.gc,
                width as u16,
                rows as u16,
                0,
                (band * rows_per_band) as i16,
                0,
                self.depth,
                chunk,
            )?;
        }
        self.conn.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_reach_the_server_as_blue_green_red() {
        let rgba = [10, 20, 30, 0, 200, 100, 50, 255];
        let mut out = [0; 8];
        to_server_order(&rgba, PixelLayout::Rgba, &mut out);
        assert_eq!(out, [30, 20, 10, 255, 50, 100, 200, 255]);
        // Already in the server's order, only the pad byte is made opaque (32-bit windows).
        let bgrx = [30, 20, 10, 0, 50, 100, 200, 9];
        to_server_order(&bgrx, PixelLayout::Bgrx, &mut out);
        assert_eq!(out, [30, 20, 10, 255, 50, 100, 200, 255]);
    }
}
