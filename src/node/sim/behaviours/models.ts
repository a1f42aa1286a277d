// Models: loading, swapping, deleting, and binding morphs and bones to values (messages.md
// "Models"). Delays are the recorded gaps after the echo (transcripts.md part1b #1–#5); binds
// reply in the echo's flush (session-60-steps.real.json steps 5–8: +0–1 ms).
import { newModel, vec3 } from './world.js';
import type { Handlers, Model, World } from './world.js';

const MAX_MODELS = 10; // max_num_model default (messages.md MODEL_ADD)
const T = {
  modelEvent: 50, // part1b #1 MODEL_EVENT_ADD
  modelChange: 200, // part1b #3
  modelDelete: 585, // part1b #4
};

export function modelBehaviours(w: World): Handlers {
  const { bus } = w;

  const change = (a: string[]) => {
    const model = w.live(a[0]);
    if (a.length !== 2 || !model) return;
    model.file = a[1];
    bus.after(T.modelChange, () => bus.post('MODEL_EVENT_CHANGE', a[0]));
  };

  const remove = (alias: string, model: Model) => {
    for (const [name, motion] of model.motions) {
      motion.end?.();
      bus.post('MOTION_EVENT_DELETE', alias, name);
    }
    if (model.lipsync) {
      model.lipsync();
      bus.post('LIPSYNC_EVENT_STOP', alias);
    }
    model.move?.cancel();
    model.turn?.cancel();
    w.models.delete(alias);
    bus.post('MODEL_EVENT_DELETE', alias);
  };

  return {
    MODEL_ADD: (a) => {
      if (a.length < 2 || a.length > 7 || w.models.has(a[0]) || w.models.size >= MAX_MODELS) return;
      w.models.set(a[0], newModel(a[1], vec3(a[2])));
      bus.after(T.modelEvent, () => bus.post('MODEL_EVENT_ADD', a[0]));
    },
    MODEL_CHANGE: change,
    MODEL_CHANGE_ASYNC: change,
    MODEL_DELETE: (a) => {
      const model = w.live(a[0]);
      if (a.length !== 1 || !model) return;
      model.deleting = true;
      bus.after(T.modelDelete, () => remove(a[0], model));
    },
    // Fixed form: model, morph, value[, seconds]; key-value form: key, min, max, model, morph, rate1, rate2.
    MODEL_BINDFACE: (a) => {
      if (a.length === 3 || a.length === 4) {
        const model = w.live(a[0]);
        if (!model) return;
        model.boundFaces.add(a[1]);
        bus.post('MODEL_EVENT_BINDFACE', a[0], a[1]);
      } else if (a.length === 7) {
        const model = w.live(a[3]);
        if (!model) return;
        model.boundFaces.add(a[4]);
        bus.post('MODEL_EVENT_BINDFACE', a[0], a[3], a[4]);
      }
    },
    MODEL_UNBINDFACE: (a) => {
      if (a.length !== 2 || !w.live(a[0])?.boundFaces.delete(a[1])) return;
      bus.post('MODEL_EVENT_UNBINDFACE', a[0], a[1]);
    },
    // Fixed form: model, bone, position, rotation;
    // key-value form: key, min, max, model, bone, 2 × (position, rotation).
    MODEL_BINDBONE: (a) => {
      const [alias, bone] = a.length === 4 ? [a[0], a[1]] : a.length === 9 ? [a[3], a[4]] : [];
      const model = w.live(alias);
      if (!model || bone === undefined) return;
      model.boundBones.add(bone);
      bus.post('MODEL_EVENT_BINDBONE', alias!, bone);
    },
    MODEL_UNBINDBONE: (a) => {
      if (a.length !== 2 || !w.live(a[0])?.boundBones.delete(a[1])) return;
      bus.post('MODEL_EVENT_UNBINDBONE', a[0], a[1]);
    },
  };
}
