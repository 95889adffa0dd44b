//! Getting the compositor's pictures (YUV 4:2:0 planar, in memory) into the form an encoder
//! takes: as they are (libx264, NVENC), converted to NV12 (Quick Sync), or converted to NV12
//! and uploaded into GPU surfaces of a VAAPI frames context (Linux's VAAPI encoders take
//! nothing else).
//!
//! The VAAPI device is the system's default render node (`/dev/dri/renderD128`); a machine
//! without one fails at [`Upload::vaapi`], before anything is recorded, and the pipeline
//! falls back to libx264 saying why.

use std::ptr;

use ffmpeg_next::{self as ffmpeg, ffi, format, frame, software::scaling};

/// What a frame goes through on its way into the encoder.
pub(crate) enum Upload {
    /// The encoder takes the compositor's YUV420P.
    Direct,
    /// Converted to another software format (NV12 for Quick Sync).
    Convert(Converter),
    /// Converted to NV12, then copied into a GPU surface.
    Vaapi(VaapiFrames),
}

/// A reused software conversion to one format and size.
pub(crate) struct Converter {
    scaler: Option<(scaling::Context, format::Pixel, u32, u32)>,
    to: format::Pixel,
}

// SAFETY: the scaler is only ever used by the thread that owns the `Upload` (the encoder's).
unsafe impl Send for Converter {}

impl Converter {
    pub(crate) fn new(to: format::Pixel) -> Converter {
        Converter { scaler: None, to }
    }

    fn run(&mut self, picture: &frame::Video) -> Result<frame::Video, ffmpeg::Error> {
        let (pixel, w, h) = (picture.format(), picture.width(), picture.height());
        if self.scaler.as_ref().is_none_or(|(_, p, sw, sh)| (*p, *sw, *sh) != (pixel, w, h)) {
            let context = scaling::Context::get(pixel, w, h, self.to, w, h, scaling::Flags::POINT)?;
            self.scaler = Some((context, pixel, w, h));
        }
        let (scaler, ..) = self.scaler.as_mut().expect("just made");
        let mut out = frame::Video::new(self.to, w, h);
        scaler.run(picture, &mut out)?;
        out.set_pts(picture.pts());
        Ok(out)
    }
}

/// A VAAPI device and a pool of NV12 surfaces of the encoder's size.
pub(crate) struct VaapiFrames {
    device: *mut ffi::AVBufferRef,
    frames: *mut ffi::AVBufferRef,
    nv12: Converter,
}

// SAFETY: the buffers are reference-counted by FFmpeg and only used by the owning thread.
unsafe impl Send for VaapiFrames {}

impl Drop for VaapiFrames {
    fn drop(&mut self) {
        // SAFETY: both were made by FFmpeg and are unreferenced once, here.
        unsafe {
            ffi::av_buffer_unref(&mut self.frames);
            ffi::av_buffer_unref(&mut self.device);
        }
    }
}

fn check(result: i32, what: &str) -> Result<(), String> {
    if result < 0 { Err(format!("{what}: {}", ffmpeg::Error::from(result))) } else { Ok(()) }
}

impl Upload {
    /// The default VAAPI device and a frames context of `width`×`height` NV12 surfaces.
    pub(crate) fn vaapi(width: u32, height: u32) -> Result<Upload, String> {
        let mut device: *mut ffi::AVBufferRef = ptr::null_mut();
        // SAFETY: out-pointer and null options, as av_hwdevice_ctx_create documents.
        let made = unsafe { ffi::av_hwdevice_ctx_create(&mut device, ffi::AVHWDeviceType::AV_HWDEVICE_TYPE_VAAPI, ptr::null(), ptr::null_mut(), 0) };
        check(made, "no VAAPI device here (a GPU with /dev/dri/renderD128)")?;
        // SAFETY: `device` is a valid device reference; the frames context is set up before
        // it is initialised, as av_hwframe_ctx_init requires.
        unsafe {
            let mut frames = ffi::av_hwframe_ctx_alloc(device);
            if frames.is_null() {
                ffi::av_buffer_unref(&mut device);
                return Err("the VAAPI device gives no frames context".to_owned());
            }
            let context = (*frames).data as *mut ffi::AVHWFramesContext;
            (*context).format = ffi::AVPixelFormat::AV_PIX_FMT_VAAPI;
            (*context).sw_format = ffi::AVPixelFormat::AV_PIX_FMT_NV12;
            (*context).width = width as i32;
            (*context).height = height as i32;
            (*context).initial_pool_size = 20;
            if let Err(e) = check(ffi::av_hwframe_ctx_init(frames), "VAAPI surfaces") {
                ffi::av_buffer_unref(&mut frames);
                ffi::av_buffer_unref(&mut device);
                return Err(e);
            }
            Ok(Upload::Vaapi(VaapiFrames { device, frames, nv12: Converter::new(format::Pixel::NV12) }))
        }
    }

    /// The encoder context's pixel format for this upload.
    pub(crate) fn encoder_format(&self, software: format::Pixel) -> format::Pixel {
        match self {
            Upload::Direct => software,
            Upload::Convert(c) => c.to,
            Upload::Vaapi(_) => format::Pixel::VAAPI,
        }
    }

    /// Hands the encoder context its frames context (VAAPI); nothing otherwise.
    ///
    /// # Safety
    /// `context` must be an encoder context not yet opened.
    pub(crate) unsafe fn attach(&self, context: *mut ffi::AVCodecContext) {
        if let Upload::Vaapi(v) = self {
            // SAFETY: the caller's context is valid; it takes its own reference.
            unsafe { (*context).hw_frames_ctx = ffi::av_buffer_ref(v.frames) };
        }
    }

    /// The compositor's `picture` as the encoder takes it (its time stamp kept).
    pub(crate) fn prepare<'a>(&mut self, picture: &'a frame::Video) -> Result<std::borrow::Cow<'a, frame::Video>, String> {
        use std::borrow::Cow;
        match self {
            Upload::Direct => Ok(Cow::Borrowed(picture)),
            Upload::Convert(c) => c.run(picture).map(Cow::Owned).map_err(|e| format!("converting the picture: {e}")),
            Upload::Vaapi(v) => {
                let nv12 = v.nv12.run(picture).map_err(|e| format!("converting the picture: {e}"))?;
                let mut surface = frame::Video::empty();
                // SAFETY: a fresh frame gets a surface from the pool, then the software
                // picture is copied into it; both frames are valid for the calls.
                unsafe {
                    check(ffi::av_hwframe_get_buffer(v.frames, surface.as_mut_ptr(), 0), "no free VAAPI surface")?;
                    check(ffi::av_hwframe_transfer_data(surface.as_mut_ptr(), nv12.as_ptr(), 0), "uploading the picture to the GPU")?;
                }
                surface.set_pts(picture.pts());
                Ok(Cow::Owned(surface))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_converts_to_nv12_with_its_time_stamp_and_vaapi_says_why_not_here() {
        ffmpeg::init().unwrap();
        let mut picture = frame::Video::new(format::Pixel::YUV420P, 64, 36);
        picture.data_mut(0).fill(200);
        picture.data_mut(1).fill(90);
        picture.data_mut(2).fill(160);
        picture.set_pts(Some(42));
        let mut upload = Upload::Convert(Converter::new(format::Pixel::NV12));
        let converted = upload.prepare(&picture).unwrap();
        assert_eq!((converted.format(), converted.width(), converted.height(), converted.pts()), (format::Pixel::NV12, 64, 36, Some(42)));
        assert_eq!(converted.data(0)[0], 200);
        // NV12 interleaves U and V in its second plane.
        assert_eq!(&converted.data(1)[..2], &[90, 160]);
        assert!(matches!(Upload::Direct.prepare(&picture).unwrap(), std::borrow::Cow::Borrowed(_)));
        // This machine has no GPU: VAAPI is refused with the reason, not a crash.
        if !std::path::Path::new("/dev/dri/renderD128").exists() {
            let refused = Upload::vaapi(64, 36).err().expect("no VAAPI device here");
            assert!(refused.contains("no VAAPI device here"), "{refused}");
        }
    }
}
