// Settings → Team: this desk in a team server's organisation. The session token stays in the
// OS keyring (Rust keeps it); the window sees the team's name, the role and how far it synced.
import { commands, type ClassCourse, type ClassGrades, type PracticeShop, type Room, type SyncReport, type TeamView } from '../bindings';
import { call } from '../api';

class TeamStore {
  view = $state<TeamView | null>(null);
  loaded = $state(false);

  async load() {
    this.view = await call(commands.teamStatus());
    this.loaded = true;
  }

  /** `newPassword`: the member's own, when the server gave a one-time password;
   * `certificate`: the server's own certificate (PEM), when no public authority signed it. */
  async join(url: string, email: string, password: string, newPassword: string | null, certificate: string | null) {
    this.view = await call(commands.joinTeam(url, email, password, newPassword, certificate));
  }

  async sync(): Promise<SyncReport> {
    const report = await call(commands.syncTeam());
    await this.load();
    return report;
  }

  /** The team's live rooms and classes (asked of the server). */
  async rooms(): Promise<Room[]> {
    return call(commands.teamRooms());
  }

  /** The room or class this desk works for; null for none. */
  async pickRoom(name: string | null) {
    this.view = await call(commands.pickTeamRoom(name));
  }

  /** Makes the class's practice shop on the team server this desk's platform. */
  usePracticeShop(): Promise<PracticeShop> {
    return call(commands.usePracticeShop());
  }

  /** The class's course; null before the teacher sets one. */
  classCourse(): Promise<ClassCourse | null> {
    return call(commands.classCourse());
  }

  /** The teacher sets the class's scenario (shipped, or from this desk's folder). */
  setClassCourse(scenarioId: string): Promise<ClassCourse> {
    return call(commands.setClassCourse(scenarioId));
  }

  /** The class's grades, computed by the server from what its practice shop observed. */
  classGrades(): Promise<ClassGrades> {
    return call(commands.classGrades());
  }

  /** Shares a broadcast as the team's template (owner, 运营, teacher). */
  shareTemplate(broadcastId: number, name: string, title: string): Promise<null> {
    return call(commands.shareTeamTemplate(broadcastId, name, title));
  }

  async leave() {
    await call(commands.leaveTeam());
    this.view = null;
  }
}

export const team = new TeamStore();
