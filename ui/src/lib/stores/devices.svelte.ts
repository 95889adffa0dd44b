// Settings → Devices: the cameras and microphones found, the saved choice, a live preview
// and a test recording.
import { commands, type CaptureSettings, type DevicesOverview, type TestRecording } from '../bindings';
import { call } from '../api';

class DevicesStore {
  list(): Promise<DevicesOverview> {
    return call(commands.listDevices());
  }

  save(settings: CaptureSettings): Promise<CaptureSettings> {
    return call(commands.saveCaptureSettings(settings));
  }

  startPreview(): Promise<null> {
    return call(commands.startDevicePreview());
  }

  /** Stops the preview; errors are of no use to anyone leaving the page. */
  stopPreview(): Promise<null> {
    return call(commands.stopDevicePreview());
  }

  testRecording(seconds: number): Promise<TestRecording> {
    return call(commands.testRecording(seconds));
  }
}

export const devices = new DevicesStore();
