// The teleprompter's view, kept fresh by the PrompterMoved event and a one-second tick.
import { commands, events, type BroadcastId, type PrompterView } from '../bindings';
import { call } from '../api';

class PrompterStore {
  view = $state<PrompterView | null>(null);
  error = $state<string | null>(null);

  async open(broadcastId: BroadcastId) {
    await call(commands.openPrompter(broadcastId));
  }

  async refresh() {
    try {
      this.view = await call(commands.prompterState());
      this.error = null;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  async move(step: number) {
    await call(commands.prompterMove(step));
    await this.refresh();
  }

  /** Follows the prompter until the returned function is called. */
  follow(): () => void {
    const timer = setInterval(() => this.refresh(), 1000);
    const unlisten = events.prompterMoved.listen(() => this.refresh());
    this.refresh();
    return () => {
      clearInterval(timer);
      unlisten.then((stop) => stop());
    };
  }
}

export const prompter = new PrompterStore();
