// The scene library: the built-in layouts and the team's own scenes (Settings → Scenes).
// Which scene a broadcast goes on air with is the broadcast's (broadcasts.planScene).
import { commands, type Scene_Serialize, type SceneEntry_Serialize } from '../bindings';
import { call } from '../api';
import { t } from '../i18n/index.svelte';
import { toasts } from './toasts.svelte';

export type Scene = Scene_Serialize;
export type SceneEntry = SceneEntry_Serialize;

/** The canvases the desk offers (width × height). */
export const CANVASES: [number, number][] = [
  [1920, 1080],
  [1280, 720],
  [1080, 1920],
  [720, 1280],
];

class ScenesStore {
  entries = $state<SceneEntry[]>([]);

  async load() {
    this.entries = await call(commands.listScenes());
  }

  /** Saves a team scene (new, or a new version); the library comes back. */
  async save(scene: Scene) {
    this.entries = await call(commands.saveScene(scene));
  }

  /** Deletes a team scene, with undo. */
  async remove(name: string) {
    const gone = await call(commands.deleteScene(name));
    await this.load();
    toasts.push(t('scenes.deleted', { name }), { undo: () => this.save(gone) });
  }

  /** A name not used yet: `base`, `base 2`, `base 3` … */
  freeName(base: string): string {
    const taken = new Set(this.entries.map((e) => e.scene.name));
    if (!taken.has(base)) return base;
    let n = 2;
    while (taken.has(`${base} ${n}`)) n += 1;
    return `${base} ${n}`;
  }
}

export const scenes = new ScenesStore();
