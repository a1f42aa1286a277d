// Motions, and moving, turning and rotating a model (messages.md "Motions", "Move / turn").
// Delays are the recorded gaps after the echo (transcripts.md part1 #4–#14).
import { seconds, vec3 } from './world.js';
import type { Handlers, Model, Motion, World } from './world.js';

const T = {
  motionDelete: 100, // part1 #8
  accelerateExtra: 500, // part1 #7: 1.53 s for a 1.0 s acceleration
  moveTail: 170, // part1 #9: 1.17 s for 5 units at 5 units/s
  // The built-in smooth approach (no speed given): part1 #14 moved 2 units in 11.1 s and the
  // turn of #12 had not ended after 9.5 s; taken as one fixed time for moves, turns and rotations.
  defaultApproach: 11_100,
  rotateSpeedFactor: 0.525, // part1 #13: 90° at 45°/s ended after 1.05 s, about half the nominal 2 s
  assumedTurnDegrees: 90, // TURN_START gives a point, not an angle; the sim does not track heading
};

export function motionBehaviours(w: World): Handlers {
  const { bus } = w;

  /** A ONCE motion ends by itself after the file's length (transcripts.md part1 #4). */
  const restart = (modelAlias: string, name: string, motion: Motion) => {
    motion.end?.();
    if (!motion.once) return;
    motion.end = bus.after(w.motionMs(motion.file) ?? 0, () => {
      const model = w.models.get(modelAlias);
      if (model?.motions.get(name) !== motion) return;
      model.motions.delete(name);
      bus.post('MOTION_EVENT_DELETE', modelAlias, name);
    });
  };

  const endMove = (alias: string, model: Model, early: boolean) => {
    const move = model.move;
    if (!move) return;
    move.cancel();
    // An interrupted move leaves the model part of the way (wall-clock estimate is good enough).
    const done = early ? Math.min(1, (bus.now() - move.startedAt) / move.ms) : 1;
    model.position = move.from.map((x, i) => x + (move.to[i] - x) * done);
    model.move = undefined;
    bus.post('MOVE_EVENT_STOP', alias);
  };

  const endTurn = (alias: string, model: Model) => {
    const turn = model.turn;
    if (!turn) return;
    turn.cancel();
    model.turn = undefined;
    bus.post(`${turn.kind}_EVENT_STOP`, alias);
  };

  const turnStart = (kind: 'TURN' | 'ROTATE', a: string[]) => {
    const model = w.live(a[0]);
    const v = vec3(a[1]);
    if (a.length < 2 || a.length > 4 || !model || !v) return;
    if (model.turn) endTurn(a[0], model);
    const degrees = kind === 'ROTATE' ? Math.max(...v.map(Math.abs)) : T.assumedTurnDegrees;
    const speed = Number.parseFloat(a[3] ?? '');
    const ms = speed > 0 ? (degrees / speed) * 1000 * T.rotateSpeedFactor : T.defaultApproach;
    bus.post(`${kind}_EVENT_START`, a[0]);
    model.turn = { kind, cancel: bus.after(ms, () => endTurn(a[0], model)) };
  };

  const turnStop = (kind: 'TURN' | 'ROTATE') => (a: string[]) => {
    const model = w.live(a[0]);
    if (model?.turn?.kind === kind) endTurn(a[0], model);
  };

  const resetOrConfigure = (event: 'MOTION_EVENT_RESET' | 'MOTION_EVENT_CONFIGURE') => (a: string[]) => {
    const motion = w.live(a[0])?.motions.get(a[1]);
    if (!motion) return;
    if (event === 'MOTION_EVENT_RESET') restart(a[0], a[1], motion);
    bus.post(event, a[0], a[1]);
  };

  return {
    MOTION_ADD: (a) => {
      const model = w.live(a[0]);
      if (a.length < 3 || a.length > 8 || !model || w.motionMs(a[2]) === null) return;
      model.motions.get(a[1])?.end?.();
      const motion: Motion = { file: a[2], once: a[4] !== 'LOOP' };
      model.motions.set(a[1], motion);
      bus.post('MOTION_EVENT_ADD', a[0], a[1]);
      restart(a[0], a[1], motion);
    },
    MOTION_CHANGE: (a) => {
      const motion = w.live(a[0])?.motions.get(a[1]);
      if (a.length !== 3 || !motion || w.motionMs(a[2]) === null) return;
      motion.file = a[2];
      bus.post('MOTION_EVENT_CHANGE', a[0], a[1]);
      restart(a[0], a[1], motion);
    },
    MOTION_DELETE: (a) => {
      const model = w.live(a[0]);
      const motion = model?.motions.get(a[1]);
      if (a.length !== 2 || !model || !motion) return;
      motion.end?.();
      bus.after(T.motionDelete, () => {
        if (model.motions.get(a[1]) !== motion) return;
        model.motions.delete(a[1]);
        bus.post('MOTION_EVENT_DELETE', a[0], a[1]);
      });
    },
    MOTION_ACCELERATE: (a) => {
      if (a.length < 3 || a.length > 5 || !w.live(a[0])?.motions.has(a[1])) return;
      bus.after(seconds(a[3]) * 1000 + T.accelerateExtra, () => bus.post('MOTION_EVENT_ACCELERATE', a[0], a[1]));
    },
    MOTION_RESET: resetOrConfigure('MOTION_EVENT_RESET'),
    MOTION_CONFIGURE: resetOrConfigure('MOTION_EVENT_CONFIGURE'),
    MOVE_START: (a) => {
      const model = w.live(a[0]);
      const v = vec3(a[1]);
      if (a.length < 2 || a.length > 4 || !model || !v) return;
      if (model.move) endMove(a[0], model, true);
      const from = model.position;
      const to = a[2] === 'LOCAL' ? from.map((x, i) => x + v[i]) : v;
      const distance = Math.hypot(to[0] - from[0], to[1] - from[1], to[2] - from[2]);
      const speed = Number.parseFloat(a[3] ?? '');
      bus.post('MOVE_EVENT_START', a[0]);
      if (distance === 0) {
        bus.post('MOVE_EVENT_STOP', a[0]);
        return;
      }
      const ms = speed > 0 ? (distance / speed) * 1000 + T.moveTail : T.defaultApproach;
      const cancel = bus.after(ms, () => endMove(a[0], model, false));
      model.move = { from, to, startedAt: bus.now(), ms, cancel };
    },
    MOVE_STOP: (a) => {
      const model = w.live(a[0]);
      if (model?.move) endMove(a[0], model, true);
    },
    TURN_START: (a) => turnStart('TURN', a),
    ROTATE_START: (a) => turnStart('ROTATE', a),
    TURN_STOP: turnStop('TURN'),
    ROTATE_STOP: turnStop('ROTATE'),
  };
}
