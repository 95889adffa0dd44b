// Settings → Devices in the real window: the live preview of the (test) camera, and a
// 10-second test recording checked with ffprobe.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { byTestId, closeApp, openApp, screenshot, startDisplay, stopAll, tempDataDir } from './harness.mjs';

let env;
before(async () => {
  env = await startDisplay();
});
after(async () => {
  await stopAll();
});


test('the Devices page previews the camera and makes a playable 10-second test recording', async () => {
  const browser = await openApp(env, tempDataDir());
  try {
    await (await byTestId(browser, 'nav-settings')).waitForDisplayed({ timeout: 30000 });
    await (await byTestId(browser, 'nav-settings')).click();
    await (await byTestId(browser, 'devices-preview')).waitForDisplayed();
    await (await byTestId(browser, 'devices-preview')).click();
    await (await byTestId(browser, 'devices-frame')).waitForDisplayed({ timeout: 20000 });
    await screenshot(browser, 'zh-settings-devices');

    await (await byTestId(browser, 'devices-test')).click();
    const result = await byTestId(browser, 'devices-result');
    await result.waitForDisplayed({ timeout: 60000 });
    const text = await result.getText();
    const path = text.split('\n').pop().trim();
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', path], { encoding: 'utf8' }),
    );
    const duration = Number(probe.format.duration);
    assert.ok(duration > 9.5 && duration < 10.5, `test recording lasts ${duration} s`);
    const codecs = probe.streams.map((s) => s.codec_name);
    assert.ok(codecs.includes('h264') && codecs.includes('aac'), codecs.join(','));
  } finally {
    await closeApp(browser);
  }
});
