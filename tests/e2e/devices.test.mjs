// Settings → Devices in the real window: the live preview of the (test) camera, and a
// 10-second test recording checked with ffprobe.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { byTestId, closeApp, openApp, screenshot, startDisplay, stopAll, tempDataDir, waitForText } from './harness.mjs';

/** The level of `hz` in mono 48 kHz float samples (Goertzel), in dBFS. */
function levelDb(samples, hz) {
  const w = (2 * Math.PI * hz) / 48000;
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + 2 * Math.cos(w) * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2;
  return 20 * Math.log10(Math.max((2 * Math.sqrt(power)) / samples.length, 1e-9));
}

let env;
before(async () => {
  env = await startDisplay();
});
after(async () => {
  await stopAll();
});


test('the Devices page previews the camera and makes a playable 10-second test recording', async () => {
  const dataDir = tempDataDir();
  const browser = await openApp(env, dataDir);
  try {
    await (await byTestId(browser, 'nav-settings')).waitForDisplayed({ timeout: 30000 });
    await (await byTestId(browser, 'nav-settings')).click();
    await (await byTestId(browser, 'devices-preview')).waitForDisplayed();
    await (await byTestId(browser, 'devices-preview')).click();
    await (await byTestId(browser, 'devices-frame')).waitForDisplayed({ timeout: 20000 });
    await screenshot(browser, 'zh-settings-devices');

    // The encoders are probed for real: on this machine (no GPU) only libx264 works, which
    // is what automatic means here; the hardware ones are offered but cannot be picked.
    const encoders = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="devices-encoder"] option')].map((o) => [o.value, o.textContent.trim(), o.disabled]),
    );
    assert.deepEqual(encoders[0], ['auto', '自动（本机：libx264）', false]);
    assert.ok(encoders.some(([value, , disabled]) => value === 'x264' && !disabled), JSON.stringify(encoders));
    assert.ok(encoders.some(([value, , disabled]) => value === 'nvenc' && disabled), JSON.stringify(encoders));
    await (await byTestId(browser, 'devices-encoder')).selectByAttribute('value', 'x264');

    // Background music: a path that is not there is refused; a real file is mixed in.
    await (await byTestId(browser, 'sound-music')).setValue('/nowhere/music');
    await (await byTestId(browser, 'devices-save')).click();
    await waitForText(browser, '[data-testid="devices-settings"]', '这个位置没有文件或文件夹');
    const music = path.join(dataDir, 'bed.wav');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=48000:duration=20', music]);
    await (await byTestId(browser, 'sound-music')).clearValue();
    await (await byTestId(browser, 'sound-music')).setValue(music);
    await (await byTestId(browser, 'devices-save')).click();
    await browser.waitUntil(async () => !(await (await byTestId(browser, 'devices-settings')).getText()).includes('这个位置没有文件或文件夹'), {
      timeoutMsg: 'the music path was not accepted',
    });

    await (await byTestId(browser, 'devices-test')).click();
    const result = await byTestId(browser, 'devices-result');
    await result.waitForDisplayed({ timeout: 60000 });
    const text = await result.getText();
    const recordingPath = text.split('\n').pop().trim();
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', recordingPath], { encoding: 'utf8' }),
    );
    const duration = Number(probe.format.duration);
    assert.ok(duration > 9.5 && duration < 10.5, `test recording lasts ${duration} s`);
    const codecs = probe.streams.map((s) => s.codec_name);
    assert.ok(codecs.includes('h264') && codecs.includes('aac'), codecs.join(','));
    // The music (220 Hz) is in the recording beside the test tone (440 Hz); 330 Hz is not.
    const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', recordingPath, '-ss', '2', '-t', '4', '-ac', '1', '-ar', '48000', '-f', 'f32le', '-'], { maxBuffer: 1 << 26 });
    const samples = new Float32Array(pcm.buffer, pcm.byteOffset, pcm.length / 4);
    const [bed, tone, none] = [levelDb(samples, 220), levelDb(samples, 440), levelDb(samples, 330)];
    assert.ok(bed > -60 && bed > none + 20, `music ${bed.toFixed(1)} dBFS, nothing at 330 Hz ${none.toFixed(1)} dBFS`);
    assert.ok(tone > bed, `the microphone (${tone.toFixed(1)} dBFS) stays above the music (${bed.toFixed(1)} dBFS)`);
  } finally {
    await closeApp(browser);
  }
});
