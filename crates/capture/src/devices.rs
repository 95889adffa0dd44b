//! Camera and microphone discovery through libavdevice, with V4L2 modes on Linux.

use std::ffi::{CStr, CString};

use ffmpeg_next as ffmpeg;

use crate::config::InputSpec;

/// Camera or microphone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum DeviceKind {
    Camera,
    Microphone,
}

/// One capture mode of a camera.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Mode {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// FFmpeg's name for the camera's format, e.g. `mjpeg` or `yuyv422`.
    pub pixel_format: String,
}

/// A capture device FFmpeg can open.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub kind: DeviceKind,
    /// libavdevice input format: `v4l2`, `alsa`, `pulse`, `avfoundation`, `dshow`.
    pub backend: String,
    /// The name to open it by, e.g. `/dev/video0` or `hw:1,0`.
    pub name: String,
    pub description: String,
    /// Known modes, best first; empty where the backend cannot tell.
    pub modes: Vec<Mode>,
}

impl Device {
    /// The input to open this device, in `mode` when given.
    pub fn input(&self, mode: Option<&Mode>) -> InputSpec {
        let mut spec = InputSpec::new(&self.backend, &self.name);
        if let Some(m) = mode {
            spec.options
                .insert("video_size".into(), format!("{}x{}", m.width, m.height));
            spec.options
                .insert("framerate".into(), format!("{}", m.fps));
            if self.backend == "v4l2" {
                spec.options
                    .insert("input_format".into(), m.pixel_format.clone());
            }
        }
        spec
    }
}

/// The camera mode to ask for when recording `width`×`height` at `fps`: the smallest
/// mode at least that large that reaches the frame rate, preferring MJPEG (USB webcams
/// reach 720p30 only compressed); failing that, the fastest of the largest modes.
pub fn pick_mode(modes: &[Mode], width: u32, height: u32, fps: u32) -> Option<&Mode> {
    let fast_enough = |m: &&Mode| m.fps + 0.5 >= fps as f64;
    let big_enough = |m: &&Mode| m.width >= width && m.height >= height;
    let cost = |m: &&Mode| {
        (
            m.width as u64 * m.height as u64,
            u8::from(m.pixel_format != "mjpeg"),
        )
    };
    modes
        .iter()
        .filter(fast_enough)
        .filter(big_enough)
        .min_by_key(cost)
        .or_else(|| {
            let largest = modes
                .iter()
                .filter(fast_enough)
                .map(|m| m.width as u64 * m.height as u64)
                .max()?;
            modes
                .iter()
                .filter(fast_enough)
                .filter(|m| m.width as u64 * m.height as u64 == largest)
                .min_by_key(cost)
        })
        .or_else(|| modes.iter().max_by(|a, b| a.fps.total_cmp(&b.fps)))
}

/// Input options for a V4L2 camera opened without a mode: the mode [`pick_mode`] finds.
pub(crate) fn default_v4l2_options(
    spec: &InputSpec,
    width: u32,
    height: u32,
    fps: u32,
) -> InputSpec {
    let mut spec = spec.clone();
    if spec.format != "v4l2" || !spec.options.is_empty() {
        return spec;
    }
    let modes = v4l2::modes(&spec.url);
    if let Some(mode) = pick_mode(&modes, width, height, fps) {
        spec.options.insert(
            "video_size".into(),
            format!("{}x{}", mode.width, mode.height),
        );
        spec.options
            .insert("framerate".into(), format!("{}", mode.fps));
        spec.options
            .insert("input_format".into(), mode.pixel_format.clone());
    }
    spec
}

const CAMERA_BACKENDS: &[&str] = &["v4l2", "avfoundation", "dshow"];
const MICROPHONE_BACKENDS: &[&str] = &["alsa", "pulse", "avfoundation", "dshow"];

/// Lists cameras and microphones. A machine without any gives an empty list.
pub fn devices() -> Vec<Device> {
    crate::init();
    let mut found = Vec::new();
    for (kind, backends) in [
        (DeviceKind::Camera, CAMERA_BACKENDS),
        (DeviceKind::Microphone, MICROPHONE_BACKENDS),
    ] {
        for backend in backends {
            for (name, description) in list_sources(backend) {
                // ALSA's "null" PCM discards playback and captures zeros: not a microphone.
                if kind == DeviceKind::Microphone && name == "null" {
                    continue;
                }
                let modes = if kind == DeviceKind::Camera && *backend == "v4l2" {
                    v4l2::modes(&name)
                } else {
                    Vec::new()
                };
                found.push(Device {
                    kind,
                    backend: (*backend).to_owned(),
                    name,
                    description,
                    modes,
                });
            }
        }
    }
    found
}

/// `avdevice_list_input_sources` for one backend; empty when the backend is missing or
/// has nothing to offer.
fn list_sources(backend: &str) -> Vec<(String, String)> {
    let Ok(name) = CString::new(backend) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    unsafe {
        let format = ffmpeg::ffi::av_find_input_format(name.as_ptr());
        if format.is_null() {
            return out;
        }
        let mut list: *mut ffmpeg::ffi::AVDeviceInfoList = std::ptr::null_mut();
        let ret = ffmpeg::ffi::avdevice_list_input_sources(
            format as *mut _,
            std::ptr::null(),
            std::ptr::null_mut(),
            &mut list,
        );
        if ret >= 0 && !list.is_null() {
            for i in 0..(*list).nb_devices {
                let info = *(*list).devices.add(i as usize);
                if info.is_null() {
                    continue;
                }
                let text = |p: *mut std::os::raw::c_char| {
                    if p.is_null() {
                        String::new()
                    } else {
                        CStr::from_ptr(p).to_string_lossy().into_owned()
                    }
                };
                out.push((text((*info).device_name), text((*info).device_description)));
            }
        }
        ffmpeg::ffi::avdevice_free_list_devices(&mut list);
    }
    out
}

#[cfg(target_os = "linux")]
mod v4l2 {
    //! Mode enumeration with the V4L2 ioctls; libavdevice only prints modes to its log.

    use super::Mode;
    use std::os::fd::AsRawFd;

    #[repr(C)]
    pub(super) struct FmtDesc {
        index: u32,
        kind: u32,
        flags: u32,
        description: [u8; 32],
        pixelformat: u32,
        mbus_code: u32,
        reserved: [u32; 3],
    }

    #[repr(C)]
    pub(super) struct FrmSizeEnum {
        index: u32,
        pixel_format: u32,
        kind: u32,
        // discrete: width, height; stepwise: min_w, max_w, step_w, min_h, max_h, step_h
        size: [u32; 6],
        reserved: [u32; 2],
    }

    #[repr(C)]
    pub(super) struct FrmIvalEnum {
        index: u32,
        pixel_format: u32,
        width: u32,
        height: u32,
        kind: u32,
        // discrete: numerator, denominator; stepwise: min, max, step fractions
        interval: [u32; 6],
        reserved: [u32; 2],
    }

    const fn iowr(nr: u64, size: usize) -> u64 {
        (3 << 30) | ((size as u64) << 16) | ((b'V' as u64) << 8) | nr
    }
    pub(super) const VIDIOC_ENUM_FMT: u64 = iowr(2, std::mem::size_of::<FmtDesc>());
    pub(super) const VIDIOC_ENUM_FRAMESIZES: u64 = iowr(74, std::mem::size_of::<FrmSizeEnum>());
    pub(super) const VIDIOC_ENUM_FRAMEINTERVALS: u64 = iowr(75, std::mem::size_of::<FrmIvalEnum>());
    const BUF_TYPE_VIDEO_CAPTURE: u32 = 1;
    const DISCRETE: u32 = 1;

    fn ffmpeg_name(fourcc: u32) -> String {
        let code: [u8; 4] = fourcc.to_le_bytes();
        match &code {
            b"YUYV" => "yuyv422".into(),
            b"MJPG" | b"JPEG" => "mjpeg".into(),
            b"H264" => "h264".into(),
            b"NV12" => "nv12".into(),
            b"YU12" => "yuv420p".into(),
            b"UYVY" => "uyvy422".into(),
            b"RGB3" => "rgb24".into(),
            _ => String::from_utf8_lossy(&code).trim().to_lowercase(),
        }
    }

    fn ioctl<T>(fd: i32, request: u64, arg: &mut T) -> bool {
        unsafe { libc::ioctl(fd, request as _, arg as *mut T) == 0 }
    }

    /// Discrete modes of `/dev/videoN`, largest and fastest first.
    pub(super) fn modes(path: &str) -> Vec<Mode> {
        let Ok(file) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
        else {
            return Vec::new();
        };
        let fd = file.as_raw_fd();
        let mut modes = Vec::new();
        for fi in 0..64 {
            let mut desc: FmtDesc = unsafe { std::mem::zeroed() };
            desc.index = fi;
            desc.kind = BUF_TYPE_VIDEO_CAPTURE;
            if !ioctl(fd, VIDIOC_ENUM_FMT, &mut desc) {
                break;
            }
            for si in 0..256 {
                let mut size: FrmSizeEnum = unsafe { std::mem::zeroed() };
                size.index = si;
                size.pixel_format = desc.pixelformat;
                if !ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &mut size) || size.kind != DISCRETE {
                    break;
                }
                let (w, h) = (size.size[0], size.size[1]);
                for ii in 0..64 {
                    let mut ival: FrmIvalEnum = unsafe { std::mem::zeroed() };
                    ival.index = ii;
                    ival.pixel_format = desc.pixelformat;
                    ival.width = w;
                    ival.height = h;
                    if !ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &mut ival)
                        || ival.kind != DISCRETE
                        || ival.interval[0] == 0
                    {
                        break;
                    }
                    let fps = ival.interval[1] as f64 / ival.interval[0] as f64;
                    modes.push(Mode {
                        width: w,
                        height: h,
                        fps: (fps * 100.0).round() / 100.0,
                        pixel_format: ffmpeg_name(desc.pixelformat),
                    });
                }
            }
        }
        modes.sort_by(|a, b| {
            (b.width * b.height)
                .cmp(&(a.width * a.height))
                .then(b.fps.total_cmp(&a.fps))
        });
        modes
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn ioctl_numbers_match_the_kernel_headers() {
            // Values from <linux/videodev2.h> on x86_64 and aarch64.
            assert_eq!(VIDIOC_ENUM_FMT, 0xC040_5602);
            assert_eq!(VIDIOC_ENUM_FRAMESIZES, 0xC02C_564A);
            assert_eq!(VIDIOC_ENUM_FRAMEINTERVALS, 0xC034_564B);
            assert_eq!(ffmpeg_name(u32::from_le_bytes(*b"YUYV")), "yuyv422");
        }

        #[test]
        fn a_missing_device_has_no_modes() {
            assert!(modes("/dev/video-does-not-exist").is_empty());
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod v4l2 {
    pub(super) fn modes(_path: &str) -> Vec<super::Mode> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_camera_gives_an_empty_list_not_an_error() {
        // These build machines have no camera and no microphone.
        let list = devices();
        assert!(
            list.iter()
                .all(|d| d.kind != DeviceKind::Camera || d.backend == "v4l2")
        );
        assert!(
            list.iter().all(|d| d.name != "null"),
            "ALSA's null PCM is not a microphone"
        );
    }

    fn mode(width: u32, height: u32, fps: f64, pixel_format: &str) -> Mode {
        Mode {
            width,
            height,
            fps,
            pixel_format: pixel_format.into(),
        }
    }

    #[test]
    fn picks_the_camera_mode_for_the_output() {
        // A typical USB webcam: raw YUYV is slow at high resolutions, MJPEG is not.
        let webcam = vec![
            mode(1920, 1080, 30.0, "mjpeg"),
            mode(1280, 720, 30.0, "mjpeg"),
            mode(640, 480, 30.0, "mjpeg"),
            mode(1920, 1080, 5.0, "yuyv422"),
            mode(1280, 720, 10.0, "yuyv422"),
            mode(640, 480, 30.0, "yuyv422"),
        ];
        type Case<'a> = (&'a [Mode], (u32, u32, u32), Option<(u32, u32, &'a str)>);
        let cases: &[Case] = &[
            (&webcam, (1280, 720, 30), Some((1280, 720, "mjpeg"))),
            (&webcam, (640, 360, 30), Some((640, 480, "mjpeg"))),
            (&webcam, (2560, 1440, 30), Some((1920, 1080, "mjpeg"))),
            (&webcam[3..], (1280, 720, 30), Some((640, 480, "yuyv422"))),
            (&webcam[3..5], (1280, 720, 30), Some((1280, 720, "yuyv422"))),
            (&[], (1280, 720, 30), None),
        ];
        for (modes, (w, h, fps), expected) in cases {
            let picked = pick_mode(modes, *w, *h, *fps)
                .map(|m| (m.width, m.height, m.pixel_format.as_str()));
            assert_eq!(picked, *expected, "{w}x{h}@{fps} from {modes:?}");
        }
    }

    #[test]
    fn device_input_carries_the_mode() {
        let device = Device {
            kind: DeviceKind::Camera,
            backend: "v4l2".into(),
            name: "/dev/video0".into(),
            description: String::new(),
            modes: vec![],
        };
        let mode = Mode {
            width: 1280,
            height: 720,
            fps: 30.0,
            pixel_format: "mjpeg".into(),
        };
        let spec = device.input(Some(&mode));
        assert_eq!(spec.options["video_size"], "1280x720");
        assert_eq!(spec.options["framerate"], "30");
        assert_eq!(spec.options["input_format"], "mjpeg");
    }
}

static IN_USE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// An exclusive claim on a device for one pipeline or preview in this process;
/// dropping it releases the device.
#[derive(Debug)]
pub(crate) struct DeviceClaim(String);

impl DeviceClaim {
    /// This claim holds `spec`.
    pub(crate) fn is(&self, spec: &InputSpec) -> bool {
        self.0 == format!("{}:{}", spec.format, spec.url)
    }

    /// Claims `spec` unless it is synthetic (`lavfi`); fails when another capture
    /// in this process holds it.
    pub(crate) fn claim(
        kind: &'static str,
        spec: &InputSpec,
    ) -> Result<Option<DeviceClaim>, crate::CaptureError> {
        if spec.format == "lavfi" {
            return Ok(None);
        }
        let key = format!("{}:{}", spec.format, spec.url);
        let mut in_use = IN_USE.lock().unwrap_or_else(|p| p.into_inner());
        if in_use.contains(&key) {
            return Err(crate::CaptureError::DeviceOpen {
                kind,
                spec: key,
                message: "in use by another recording or preview in this app; stop that first"
                    .to_owned(),
            });
        }
        in_use.push(key.clone());
        Ok(Some(DeviceClaim(key)))
    }
}

impl Drop for DeviceClaim {
    fn drop(&mut self) {
        IN_USE
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|k| k != &self.0);
    }
}

/// Whether this machine renders only in software: no GPU render node (`/dev/dri/renderD*`)
/// on Linux. The desk then turns WebKit's compositing off, which there runs on Mesa's
/// software GL and costs about 80 MB in the web process (BENCH.md) while drawing nothing the
/// window needs; with a GPU it stays on.
pub fn software_rendering_only() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let render_node = |entry: std::io::Result<std::fs::DirEntry>| entry.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("renderD"));
    !std::fs::read_dir("/dev/dri").is_ok_and(|mut dir| dir.any(render_node))
}
