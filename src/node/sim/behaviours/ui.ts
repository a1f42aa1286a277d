// On-screen things: text areas, captions, menus, info texts, buttons, window frames and
// overlays (messages.md "Screen"). Their events come in the echo's flush (transcripts.md
// part1 #40–#46; session-60-steps.real.json steps 37–51), except BUTTON_EVENT_DELETE.
import { seconds } from './world.js';
import type { Handlers, Running, World } from './world.js';

const FRAME_MS = 1000 / 30;
const BUTTON_DELETE_MS = 460; // session-60-steps.real.json step 51: 692 ms after the send, 459 after the echo

export function uiBehaviours(w: World): Handlers {
  const { bus } = w;
  const textAreas = new Set<string>();
  const captionStyles = new Set<string>(['_default']);
  const captions = new Map<string, Running>();
  const menus = new Set<string>();
  const buttons = new Set<string>();
  const overlays = new Set<string>();
  const frames = new Set<string>();

  const textAreaEvent = (kind: 'SET' | 'DELETE') => (a: string[]) => {
    if (!textAreas.has(a[0] ?? '')) return;
    if (kind === 'DELETE') textAreas.delete(a[0]);
    bus.post(`TEXTAREA_EVENT_${kind}`, a[0]);
  };

  const overlayEvent = (kind: 'HIDE' | 'SHOW') => (a: string[]) => {
    if (a.length === 1 && overlays.has(a[0])) bus.post(`WINDOWOVERLAY_EVENT_${kind}`, a[0]);
  };

  const infoText = (a: string[]) => {
    if (a.length >= 3 && a.length <= 6) bus.post('INFOTEXT_EVENT_SHOW');
  };

  return {
    TEXTAREA_ADD: (a) => {
      if (a.length < 6 || textAreas.has(a[0]) || !w.plugins.has('TextArea')) return;
      textAreas.add(a[0]);
      bus.post('TEXTAREA_EVENT_ADD', a[0]);
    },
    TEXTAREA_SET: textAreaEvent('SET'),
    TEXTAREA_DELETE: textAreaEvent('DELETE'),
    CAPTION_SETSTYLE: (a) => {
      if (a.length !== 3 && a.length !== 6) return;
      captionStyles.add(a[0]);
      bus.post('CAPTION_EVENT_SETSTYLE', a[0]);
    },
    CAPTION_START: (a) => {
      if (a.length !== 7 || !captionStyles.has(a[1])) return;
      const alias = a[0];
      captions.get(alias)?.cancel();
      bus.post('CAPTION_EVENT_START', alias);
      const cancel = bus.after(seconds(a[6]) * FRAME_MS, () => {
        captions.delete(alias);
        bus.post('CAPTION_EVENT_STOP', alias);
      });
      captions.set(alias, { cancel });
    },
    CAPTION_STOP: (a) => {
      const caption = captions.get(a[0] ?? '');
      if (!caption) return;
      caption.cancel();
      captions.delete(a[0]);
      bus.post('CAPTION_EVENT_STOP', a[0]);
    },
    MENU: (a) => {
      const [sub, alias, id] = a;
      if (alias === undefined) return;
      if (sub === 'ADD' && !menus.has(alias)) {
        menus.add(alias);
        bus.post('MENU_EVENT', 'ADD', alias);
      } else if (sub === 'DELETE' && menus.delete(alias)) {
        bus.post('MENU_EVENT', 'DELETE', alias);
      } else if ((sub === 'SETITEM' || sub === 'DELETEITEM') && menus.has(alias) && id !== undefined) {
        bus.post('MENU_EVENT', sub, alias, id);
      }
    },
    INFOTEXT_FILE: infoText,
    INFOTEXT_STRING: infoText,
    BUTTON_ADD: (a) => {
      if (a.length !== 6) return;
      buttons.add(a[0]);
      bus.post('BUTTON_EVENT_ADD', a[0]);
    },
    BUTTON_DELETE: (a) => {
      if (buttons.delete(a[0] ?? '')) bus.after(BUTTON_DELETE_MS, () => bus.post('BUTTON_EVENT_DELETE', a[0]));
    },
    WINDOWOVERLAY_ADD: (a) => {
      if (a.length !== 6) return;
      overlays.add(a[0]);
      bus.post('WINDOWOVERLAY_EVENT_ADD', a[0]);
    },
    WINDOWOVERLAY_DELETE: (a) => {
      if (a.length === 1 && overlays.delete(a[0])) bus.post('WINDOWOVERLAY_EVENT_DELETE', a[0]);
    },
    WINDOWOVERLAY_DELETEALL: () => overlays.clear(),
    WINDOWOVERLAY_HIDE: overlayEvent('HIDE'),
    WINDOWOVERLAY_SHOW: overlayEvent('SHOW'),
    WINDOWFRAME_ADD: (a) => {
      if (a.length !== 2) return;
      frames.add(a[0]);
      bus.post('WINDOWFRAME_EVENT_ADD', a[0]);
    },
    WINDOWFRAME_DELETE: (a) => {
      if (a.length === 1 && frames.delete(a[0])) bus.post('WINDOWFRAME_EVENT_DELETE', a[0]);
    },
    WINDOWFRAME_DELETEALL: () => frames.clear(),
    // Typing a character through the remote also produces KEY|<char>: only the first byte counts.
    REMOTEKEY_CHAR: (a) => {
      const ch = a[0]?.[0];
      if (a.length === 1 && ch !== undefined && ch.charCodeAt(0) < 0x80) bus.post('KEY', ch);
    },
  };
}
