// Scenes in the real window: a 人+商品特写 scene on a portrait canvas is built in Settings →
// Scenes, a broadcast goes on air in it, and Shift+digit switches scenes on air; the
// recording has the scene's canvas.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, byTestId, closeApp, openApp, screenshot, sleep, startDisplay, stopAll, tempDataDir, waitForText } from './harness.mjs';
import { prepare } from './flows.mjs';

let env;
before(async () => {
  env = await startDisplay();
});
after(async () => {
  await stopAll();
});

const sceneButtons = (browser) =>
  browser.execute(() => [...document.querySelectorAll('[data-testid="live-scene"]')].map((b) => [b.textContent.trim(), b.getAttribute('aria-pressed')]));

test('a portrait 人+商品特写 scene is built in Settings, goes on air, and Shift+digit switches scenes', async () => {
  const dataDir = tempDataDir();
  const browser = await openApp(env, dataDir);
  try {
    await (await byTestId(browser, 'nav-settings')).waitForDisplayed({ timeout: 30000 });
    await (await byTestId(browser, 'nav-settings')).click();
    await (await byTestId(browser, 'scenes-settings')).waitForExist();
    await browser.waitUntil(async () => (await browser.$$('[data-testid="scene-item"]')).length === 4, { timeoutMsg: 'the four layouts are listed' });
    await browser.execute(() => document.querySelector('[data-testid="scenes-settings"]').scrollIntoView());

    // A new scene starts as a copy of 人+商品特写: the camera and a close-up.
    await (await byTestId(browser, 'scene-new')).click();
    await (await byTestId(browser, 'scene-editor')).waitForDisplayed();
    assert.equal((await browser.$$('[data-testid="layer-row"]')).length, 2);
    const name = await byTestId(browser, 'scene-name');
    await name.clearValue();
    await name.setValue('竖屏特写');
    await (await byTestId(browser, 'scene-canvas')).selectByAttribute('value', '1080x1920');
    await (await browser.$$('[data-testid="layer-kind"]'))[1].selectByAttribute('value', 'phone');
    await (await byTestId(browser, 'scene-add-layer')).click();
    assert.equal((await browser.$$('[data-testid="layer-row"]')).length, 3, 'a text layer added');
    // A width that would leave the canvas is kept inside it.
    const widths = await browser.$$('[data-testid="layer-w"]');
    await widths[2].setValue('150');
    await browser.keys('Tab');
    await browser.waitUntil(async () => Number(await (await browser.$$('[data-testid="layer-w"]'))[2].getValue()) <= 95, { timeoutMsg: 'the width was not kept inside the canvas' });
    const ratio = await browser.execute(() => {
      const r = document.querySelector('[data-testid="scene-preview"]').getBoundingClientRect();
      return r.height / r.width;
    });
    assert.ok(Math.abs(ratio - 1920 / 1080) < 0.05, `the preview is portrait (${ratio})`);
    await screenshot(browser, 'zh-scenes-editor');
    await (await byTestId(browser, 'scene-save')).click();
    await browser.waitUntil(async () => (await browser.$$('[data-testid="scene-item"]')).length === 5, { timeoutMsg: 'the scene was not saved' });
    await waitForText(browser, '[data-testid="scenes-list"]', '竖屏特写');
    await (await byTestId(browser, 'locale-en')).click();
    await waitForText(browser, '[data-testid="scenes-settings"]', 'Scenes');
    await screenshot(browser, 'en-scenes-editor');
    await (await byTestId(browser, 'locale-zh-CN')).click();
    await waitForText(browser, '[data-testid="scenes-settings"]', '场景');

    // Go on air in it.
    await prepare(browser, '竖屏场景排练');
    await (await byTestId(browser, 'go-live-scene')).waitForDisplayed();
    await browser.waitUntil(async () => (await browser.execute(() => document.querySelectorAll('[data-testid="go-live-scene"] option').length)) === 6, {
      timeoutMsg: 'the scenes are offered for going live',
    });
    await (await byTestId(browser, 'go-live-scene')).selectByAttribute('value', '竖屏特写');
    // The choice is the broadcast's from now on: it is kept before going live.
    await browser.waitUntil(async () => (await browser.execute(() => document.querySelector('[data-testid="go-live-scene"]').getAttribute('aria-invalid'))) === 'false');
    await (await byTestId(browser, 'go-rehearsal')).click();
    await (await byTestId(browser, 'live-console')).waitForDisplayed({ timeout: 30000 });
    await (await byTestId(browser, 'live-scenes')).waitForDisplayed({ timeout: 10000 });
    let buttons = await sceneButtons(browser);
    assert.deepEqual(buttons.map((b) => b[0].split(' ')[0]), ['竖屏全身', '竖屏特写'], 'only the scenes of the portrait canvas are offered');
    assert.equal(buttons[1][1], 'true', 'the scene gone live with is on air');
    const recording = await browser.execute(() => document.querySelector('.path').textContent.trim());
    await (await byTestId(browser, 'live-preview')).waitForDisplayed({ timeout: 20000 });

    // The phone layer: the console shows where to push, as text and a QR code; a phone app
    // (the ffmpeg CLI here) pushing there fills the close-up, and the slate alarm goes.
    await (await byTestId(browser, 'live-phone')).waitForDisplayed({ timeout: 10000 });
    const phoneUrl = await (await byTestId(browser, 'live-phone-url')).getText();
    assert.match(phoneUrl, /^srt:\/\/[0-9.]+:\d+\?passphrase=[0-9a-f]{24}/);
    assert.ok(await browser.execute(() => document.querySelector('[data-testid="live-phone"] svg') !== null), 'a QR code is drawn');
    const alarm = () => browser.execute(() => document.querySelector('.left .alarm') !== null);
    await browser.waitUntil(alarm, { timeout: 10000, timeoutMsg: 'the phone slate is not reported before it connects' });
    // The phone sends its sound too (a 1 kHz tone): it has its own meter, mute and gain.
    const phone = spawn('ffmpeg', ['-v', 'quiet', '-re', '-f', 'lavfi', '-i', 'testsrc2=s=360x640:r=30', '-re', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100', '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-c:a', 'aac', '-f', 'mpegts', phoneUrl], { stdio: 'ignore' });
    const phoneDone = new Promise((resolve) => phone.on('exit', resolve));
    await browser.waitUntil(async () => !(await alarm()), { timeout: 15000, timeoutMsg: 'the phone never showed in the scene' });
    const phoneMeter = () => browser.execute(() => parseFloat(document.querySelector('[data-testid="live-phone-meter"] .bar span').style.width) || 0);
    await browser.waitUntil(async () => (await phoneMeter()) > 20, { timeout: 10000, timeoutMsg: 'the phone meter shows no sound' });
    await (await byTestId(browser, 'live-phone-mute')).click();
    await browser.waitUntil(async () => (await (await byTestId(browser, 'live-phone-mute')).getAttribute('aria-pressed')) === 'true', { timeoutMsg: 'the phone did not mute' });
    await browser.waitUntil(async () => (await phoneMeter()) === 0, { timeout: 5000, timeoutMsg: 'the phone meter did not fall when muted' });
    await (await byTestId(browser, 'live-phone-mute')).click();
    await browser.execute(() => {
      const slider = document.querySelector('[data-testid="live-phone-gain"]');
      slider.value = '-6';
      slider.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitForText(browser, '.sound-controls', '手机声音 -6 dB');
    await sleep(1000);
    await screenshot(browser, 'zh-live-phone');
    await phoneDone;

    // V mutes the microphone and unmutes it.
    await browser.keys('v');
    await browser.waitUntil(async () => (await (await byTestId(browser, 'live-mute')).getAttribute('aria-pressed')) === 'true', { timeoutMsg: 'V did not mute' });
    await browser.keys('v');
    await browser.waitUntil(async () => (await (await byTestId(browser, 'live-mute')).getAttribute('aria-pressed')) === 'false', { timeoutMsg: 'V did not unmute' });

    // The microphone's gain on air, and the output meter hearing the mix.
    await browser.execute(() => {
      const slider = document.querySelector('[data-testid="live-mic-gain"]');
      slider.value = '-8';
      slider.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitForText(browser, '.sound-controls', '麦克风增益 -8 dB');
    await browser.waitUntil(
      async () => (await browser.execute(() => parseFloat(document.querySelector('[data-testid="live-program-meter"] .bar span').style.width) || 0)) > 10,
      { timeoutMsg: 'the output meter shows no sound' },
    );

    // Shift+1 puts the first scene on air; the button says so.
    await browser.keys(['Shift', '1']);
    await browser.waitUntil(async () => (await sceneButtons(browser))[0][1] === 'true', { timeout: 10000, timeoutMsg: 'Shift+1 did not switch scenes' });
    await sleep(1500);
    await screenshot(browser, 'zh-live-scenes');
    await (await byTestId(browser, 'nav-settings')).click();
    await (await byTestId(browser, 'locale-en')).click();
    await (await byTestId(browser, 'nav-live')).click();
    await waitForText(browser, '[data-testid="live-scenes"]', 'Scenes');
    await screenshot(browser, 'en-live-scenes');
    await (await byTestId(browser, 'nav-settings')).click();
    await (await byTestId(browser, 'locale-zh-CN')).click();
    await (await byTestId(browser, 'nav-live')).click();
    buttons = await sceneButtons(browser);
    await browser.execute(() => document.querySelectorAll('[data-testid="live-scene"]')[1].click());
    await browser.waitUntil(async () => (await sceneButtons(browser))[1][1] === 'true', { timeout: 10000, timeoutMsg: 'the button did not switch back' });

    // The recording has the scene's portrait canvas.
    const probe = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', recording], { encoding: 'utf8' });
    assert.equal(probe.trim(), '1080,1920');
    await (await byTestId(browser, 'live-stop')).click();
    await (await byTestId(browser, 'live-stop-confirm')).click();
    await (await byTestId(browser, 'report')).waitForDisplayed({ timeout: 30000 });

    // A new broadcast's templates say which scene they go on air with (MCN: portrait).
    await (await byTestId(browser, 'nav-broadcasts')).click();
    await (await byTestId(browser, 'broadcast-new')).click();
    await (await byTestId(browser, 'template-mcn')).waitForExist();
    await waitForText(browser, 'label.template:has([data-testid="template-mcn"])', '竖屏全身');
    await screenshot(browser, 'zh-templates-scene');
  } finally {
    await closeApp(browser);
  }
  // The broadcast kept the scene it went on air with, as the CLI reads it.
  const listed = execFileSync(path.join(ROOT, 'target/debug/anchordesk'), ['--data-dir', dataDir, 'broadcasts', 'list'], { encoding: 'utf8' });
  assert.match(listed, /竖屏场景排练 {2}\[竖屏特写\]/);
});
