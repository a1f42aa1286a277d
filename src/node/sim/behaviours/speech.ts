// Speech: SYNTH_* (Open JTalk / Flite+hts_engine) and LIPSYNC_* (messages.md "Speech").
// Timing from transcripts.md finding 7 and part1 #15–#23, part1b #8, #11; the end of an utterance
// as recorded with a real-time audio sink (session-2026-12.md, session-60-steps.real.json 0, 59):
// the TTS thread's SYNTH_EVENT_STOP waits for the audio device, so it comes at once for a short
// text (before the core has even answered LIPSYNC_START) and ~0.8 s after the lip-sync for a long one.
import { phonemes } from './phonemes.js';
import type { Handlers, Running, World } from './world.js';

export { phonemes, speechMs } from './phonemes.js';

export const DEFAULT_VOICES = ['normal', 'angry', 'bashful', 'happy', 'sad', 'fast', 'slow', 'high', 'low']
  .map((v) => `mei_voice_${v}`)
  .concat(['normal', 'fast', 'slow', 'high', 'low'].map((v) => `slt_voice_${v}`));

const T = {
  synthPrepare: 100, // part1 #16/#18: SYNTH_EVENT_START 0–230 ms after the echo
  speechTail: 200, // finding 7: LIPSYNC_EVENT_STOP 200–370 ms after LIPSYNC_START + sum of durations
  lipsyncStop: 130, // part1 #20, #23
  restartSpeech: 226, // part1b #8
  // session-60 step 0: SYNTH_EVENT_STOP 783 ms after LIPSYNC_EVENT_STOP (2100 ms of phonemes).
  deviceDrain: 780,
  // A sequence up to this long fits the audio device's buffer, so the write returns at once (step 59,
  // 380 ms: SYNTH_EVENT_STOP with SYNTH_EVENT_START). Inferred: 64 KiB of pipe at 96,000 bytes/s.
  deviceBufferMs: 680,
};

/** Sum of the durations of a `phoneme,ms,...` sequence. */
export function sequenceMs(sequence: string): number {
  const fields = sequence.split(',');
  let total = 0;
  for (let i = 1; i < fields.length; i += 2) total += Number.parseFloat(fields[i]) || 0;
  return total;
}

export function speechBehaviours(w: World, voices: ReadonlySet<string>): Handlers {
  const { bus } = w;
  const speech = new Map<string, Running>();

  return {
    SYNTH_START: (a) => {
      if (a.length < 3 || !voices.has(a[1])) return;
      const [alias, , text] = a;
      const start = () => {
        const sequence = phonemes(text);
        const ms = sequenceMs(sequence);
        bus.post('SYNTH_EVENT_START', alias);
        bus.post('LIPSYNC_START', alias, sequence);
        if (ms <= T.deviceBufferMs) {
          speech.delete(alias);
          bus.post('SYNTH_EVENT_STOP', alias);
          return;
        }
        const stop = bus.after(ms + T.speechTail + T.deviceDrain, () => {
          speech.delete(alias);
          bus.post('SYNTH_EVENT_STOP', alias);
        });
        speech.set(alias, { cancel: stop });
      };
      const running = speech.get(alias);
      if (running) {
        // A new utterance for the same model ends the old one first (transcripts.md part1b #8).
        running.cancel();
        bus.post('LIPSYNC_STOP', alias);
        const restart = bus.after(T.restartSpeech, () => {
          bus.post('SYNTH_EVENT_STOP', alias);
          start();
        });
        speech.set(alias, { cancel: restart });
        return;
      }
      speech.set(alias, { cancel: bus.after(T.synthPrepare, start) });
    },
    SYNTH_STOP: (a) => {
      const alias = a[0];
      const running = speech.get(alias ?? '');
      if (!alias || !running) return;
      running.cancel();
      // Both TTS plugins answer with a LIPSYNC_STOP (transcripts.md part1 #20).
      bus.post('LIPSYNC_STOP', alias);
      bus.post('LIPSYNC_STOP', alias);
      // After the LIPSYNC_EVENT_STOP those answer (step 2: +71 ms and +134 ms; part1 #20: together):
      // armed once they have been handled, so it cannot overtake it whatever the timer jitter.
      let stop = () => {};
      const arm = bus.after(0, () => {
        stop = bus.after(T.lipsyncStop + 5, () => {
          speech.delete(alias);
          bus.post('SYNTH_EVENT_STOP', alias);
        });
      });
      speech.set(alias, { cancel: () => (arm(), stop()) });
    },
    LIPSYNC_START: (a) => {
      const model = w.live(a[0]);
      if (a.length !== 2 || !model) return;
      if (model.lipsync) {
        model.lipsync();
        bus.post('LIPSYNC_EVENT_STOP', a[0]);
      }
      bus.post('LIPSYNC_EVENT_START', a[0]);
      model.lipsync = bus.after(sequenceMs(a[1]) + T.speechTail, () => {
        model.lipsync = undefined;
        bus.post('LIPSYNC_EVENT_STOP', a[0]);
      });
    },
    LIPSYNC_STOP: (a) => {
      const model = w.live(a[0]);
      if (!model?.lipsync) return;
      model.lipsync();
      model.lipsync = undefined;
      bus.after(T.lipsyncStop, () => bus.post('LIPSYNC_EVENT_STOP', a[0]));
    },
  };
}
