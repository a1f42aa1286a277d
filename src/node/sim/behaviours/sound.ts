// Sound: SOUND_* (Plugin_Audio) and SPEAK_* (Plugin_Remote playing a file through a model's
// avatar) (messages.md "Sound"). Timing from transcripts.md part1 #24–#27, part1b #12, and for
// the audio device from the real-time sink of session-2026-12.md (session-60-steps.real.json
// steps 25–27, 55–56): Plugin_Audio's player starts and ends later there than on part1's sink.
import type { Handlers, Running, World } from './world.js';

const T = {
  speakStart: 220, // part1 #24; step 55: 213 ms after the echo
  speakTail: 205, // step 55: SPEAK_EVENT_STOP 6815 ms after SPEAK_EVENT_START for 6.61 s of audio
  soundStart: 320, // steps 25, 55: 316 and 325 ms (part1 #25/#27: 145–170 ms)
  // Step 56: SOUND_EVENT_STOP|__speak__0 came 1.2 s after SPEAK_EVENT_STOP, 1.08 s after the
  // audio's end (part1 #27: 0.18 s; step 25's 1 s file: 2.2 s, unexplained).
  soundTail: 1_100,
  soundStop: 110, // part1 #26; step 27: 136 ms
};

export function soundBehaviours(w: World): Handlers {
  const { bus } = w;
  const speaking = new Map<string, Running>();
  const sounds = new Map<string, Running>();

  return {
    SPEAK_START: (a) => {
      const ms = w.soundMs(a[1] ?? '');
      if (a.length !== 2 || !w.live(a[0]) || ms === null) return;
      const [alias, file] = a;
      speaking.get(alias)?.cancel();
      const stop = bus.after(T.speakStart + ms + T.speakTail, () => {
        speaking.delete(alias);
        bus.post('SPEAK_EVENT_STOP', alias);
      });
      const begin = bus.after(T.speakStart, () => {
        bus.post('AVATAR', 'START');
        bus.post('SPEAK_EVENT_START', alias);
        bus.post('SOUND_START', `__speak__${alias}`, file);
      });
      speaking.set(alias, {
        cancel: () => {
          begin();
          stop();
        },
      });
    },
    SPEAK_STOP: (a) => {
      if (a.length !== 1) return;
      const running = speaking.get(a[0]);
      bus.post('SPEAK_EVENT_STOP', a[0]);
      if (!running) return;
      running.cancel();
      speaking.delete(a[0]);
      bus.post('SOUND_STOP', `__speak__${a[0]}`);
    },
    SOUND_START: (a) => {
      const ms = w.soundMs(a[1] ?? '');
      if (a.length !== 2 || ms === null || !w.plugins.has('Audio')) return;
      const alias = a[0];
      sounds.get(alias)?.cancel();
      const begin = bus.after(T.soundStart, () => bus.post('SOUND_EVENT_START', alias));
      const end = bus.after(T.soundStart + ms + T.soundTail, () => {
        sounds.delete(alias);
        bus.post('SOUND_EVENT_STOP', alias);
      });
      sounds.set(alias, {
        cancel: () => {
          begin();
          end();
        },
      });
    },
    SOUND_STOP: (a) => {
      const sound = sounds.get(a[0]);
      if (!sound || !w.plugins.has('Audio')) return;
      sound.cancel();
      sounds.delete(a[0]);
      bus.after(T.soundStop, () => bus.post('SOUND_EVENT_STOP', a[0]));
    },
  };
}
