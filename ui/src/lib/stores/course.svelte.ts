// Courses: the student on this desk, the scenarios, a rehearsal's grade and the class table.
import { commands, type AttemptHistory, type AttemptView, type ClassOutcome, type ScenarioList, type Student } from '../bindings';
import { call } from '../api';

class CourseStore {
  list = $state<ScenarioList | null>(null);
  student = $state<Student | null>(null);
  history = $state<AttemptHistory | null>(null);
  klass = $state<ClassOutcome | null>(null);

  async load() {
    const [list, student] = await Promise.all([call(commands.courseScenarios()), call(commands.courseStudent())]);
    this.list = list;
    this.student = student;
    await this.loadHistory();
  }

  async loadHistory() {
    this.history = this.student ? await call(commands.courseHistory(this.student.id)) : null;
  }

  async saveStudent(id: string, name: string) {
    this.student = await call(commands.saveCourseStudent(id, name));
    await this.loadHistory();
  }

  start(scenarioId: string) {
    return call(commands.startRehearsal(scenarioId));
  }

  attempt(broadcastId: number): Promise<AttemptView | null> {
    return call(commands.courseAttempt(broadcastId));
  }

  grade(broadcastId: number) {
    return call(commands.gradeAttempt(broadcastId));
  }

  exportAttempt(broadcastId: number) {
    return call(commands.exportAttempt(broadcastId));
  }

  async gradeClass(folder: string, roster: string, sort: string, descending: boolean, onlyProblems: boolean, exportCsv: boolean, trustFirstKey: boolean) {
    this.klass = await call(commands.gradeClass(folder, roster.trim() === '' ? null : roster, sort, descending, onlyProblems, exportCsv, trustFirstKey));
    return this.klass;
  }

  /** This desk's signing-key fingerprint, for the teacher's roster. */
  keyFingerprint(): Promise<string> {
    return call(commands.courseKeyFingerprint());
  }
}

export const course = new CourseStore();
