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
