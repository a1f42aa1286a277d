// Human documentation for the .mdf schema and lint codes. A separate module on purpose: nothing
// else imports it, so it reaches a bundle only when an application (an editor, a CLI) asks for it.
import type { MdfDiagnosticCode } from './lint.js';

/** Docs notes for keys where the docs, the defaults or the behaviour hold a surprise (mdf.md §4–§5). */
export const MDF_KEY_NOTES: Readonly<Record<string, string>> = {
  Plugin_Remote_Websocket_Host:
    'Non-empty turns WebSocket mode on. Bare host name or IP literal: no scheme, port or path (wire.md §2).',
  Plugin_Remote_Websocket_Port:
    'atoi; default 80. Port 443 means TLS (wss, any certificate accepted); every other port is plain ws.',
  Plugin_Remote_Websocket_Directory:
    'Request target, default "/"; must start with "/"; may carry a query string. 429 renaming appends -N.',
  Plugin_Remote_RetryCount:
    'Extra attempts per series, 0.5 s apart (0.2 s after 429). Default 0 = one try, then give up for good; ' +
    'docs example 60.',
  Plugin_Remote_AllLog:
    'Anything but exactly "false" turns it on: all log lines are sent instead of messages. Not in the docs.',
  Plugin_Remote_EnableClient:
    'TCP client mode; anything but exactly "false" (even "no" or empty) turns it on. Do not combine with WebSocket.',
  Plugin_Remote_ClientMode: 'Old name of Plugin_Remote_EnableClient, still honoured. Not in the docs.',
  Plugin_Remote_Port: 'TCP client target port; the source default is 60001 (the docs sample 50001 is only a sample).',
  Plugin_Remote_EnableServer:
    'TCP server mode; anything but exactly "false" (even "no" or empty) turns it on. Do not combine with WebSocket.',
  Plugin_Remote_ServerMode: 'Old name of Plugin_Remote_EnableServer, still honoured. Not in the docs.',
  Plugin_Remote_ListenPort:
    'TCP server port; default Plugin_Remote_Port when client mode is on too (only then is that key read), else 60001.',
  Plugin_Remote_EnableLocalLipsync:
    'true/True/yes/Yes: lip-sync from the local microphone; the plugin applies __AV_START and __AV_SETMODEL,0 itself.',
  Plugin_Remote_EnableLocalPassthrough: 'Only with EnableLocalLipsync: also play the microphone input.',
  Plugin_Remote_Speak_16k:
    'SPEAK_START plays a 16 kHz mono conversion itself (pre-v1.0.4 behaviour) instead of SOUND_START.',
  disablePlugin: 'ALL, NONE or a comma list of names without the Plugin_ prefix (e.g. Remote). enablePlugin wins.',
  enablePlugin: 'ALL, NONE or a comma list; an explicit enable wins over disablePlugin wherever it appears.',
  http_server: 'Local HTTP message injector, listens on ALL interfaces (wire.md §15); default true.',
  http_server_port: 'Default 50000; clamped to 0–65535.',
  use_stdinout: 'Messages on stdout and from stdin; logs then stop going to stdout.',
  window_size: 'w,h; source default 1024,900 (the docs sample shows 600,600).',
  cartoon_edge_width: 'Source default 0.7; the docs show 0.35.',
  light_edge: 'Default true; light_edge=false gives MMD-compatible edges.',
  camera_rotation: 'Clamped to 0.001–1000 per component, so negative angles cannot be set here.',
  shadow_mapping_texture_size: 'Source default 2048; the docs show 1024.',
  shadow_mapping_light_first: 'Accepted and ignored ("bogus" in the source), although documented as a switch.',
  log_position: 'Source default -17.5,3.0,-15.0; the docs show -17.5,3.0,-20.0.',
  motion_adjust_time: 'Declared -10…10 but not clamped by the setter; the docs give a maximum of 10.0.',
  bullet_fps: 'Clamped to 1–120; use 30, 60 or 120. Default 60 on Android/iOS.',
  show_fps: 'Default true on desktop, false on mobile builds.',
  campus_color: 'Background colour; "campus" is the real spelling of the key.',
  motion_capture_max_minutes: '0 or absent means the internal default of 10 minutes.',
  Plugin_Julius_conf: 'Without it Plugin_Julius stays off. Shipped combinations: dnn+ja, dnn+en, gmm+ja.',
  Plugin_Julius_wordspacing:
    'yes/true/on (any case of the first letter) → space, comma → ",", anything else → nothing.',
  show_caption: 'Exactly "true" shows captions (default true).',
  ContentFile: 'FST file to load instead of <mdf base name>.fst. Not documented.',
};

/** One line per lint code: what it means and what to do. */
export const MDF_DIAGNOSTIC_HELP: Readonly<Record<MdfDiagnosticCode, string>> = {
  MDF_BOM: 'The file starts with a UTF-8 BOM, glued to the first key. Save without BOM or start with a blank line.',
  MDF_NOT_UTF8: 'The bytes are not UTF-8; MMDAgent-EX reads UTF-8. Re-save the file as UTF-8.',
  MDF_LINE_TOO_LONG: 'A line over 2047 bytes is cut; the rest is read as another line. Shorten it.',
  MDF_NUL: 'A NUL byte ends the line text. Remove it.',
  MDF_LONE_CR: 'A CR not followed by LF does not end a line. Use LF or CRLF endings.',
  MDF_NO_EQUALS: 'A line without "=" is ignored. Write key=value or make it a comment with "#" in column 1.',
  MDF_EMPTY_KEY: '"=value" defines a key with an empty name. Put the key before "=".',
  MDF_INDENTED_COMMENT:
    'Only "#" in column 1 starts a comment; an indented "#...=..." defines a key. Move "#" to column 1.',
  MDF_INLINE_COMMENT: 'There are no inline comments; " # ..." is part of the value. Put comments on their own line.',
  MDF_KEY_SPACES:
    'Spaces around a key are part of it, so the intended key stays undefined. Write key=value without spaces.',
  MDF_UNKNOWN_KEY:
    'MMDAgent-EX does not read this key (fine for FST global variables). Warning when it looks like a typo.',
  MDF_IGNORED_KEY: 'The key is accepted but no longer read. Delete the line.',
  MDF_DUPLICATE_KEY: 'The key is defined again later and the later value wins. Delete one of them.',
  MDF_TOO_MANY_KEYS: 'Over 4096 keys: the rest are silently dropped. Use fewer keys.',
  MDF_ENV_SYNTAX: '"%ENV{" without "}" makes MMDAgent-EX ignore the whole file. Close the reference.',
  MDF_BAD_NUMBER: 'Not a number (reads as 0) or a number with trailing text (ignored). Write a plain number.',
  MDF_BAD_VECTOR: 'Too few components (the default is kept), extra or non-numeric ones. Write the exact comma list.',
  MDF_BAD_BOOLEAN: 'A non-canonical boolean; the message says how it reads. Write true or false.',
  MDF_BOOLEAN_TRAP:
    'The value means the opposite of what it looks like for this key (e.g. EnableServer=no is ON). Use the ' +
    'suggested value.',
  MDF_BAD_VALUE: 'The value is not one the key understands. Use one of the listed values.',
  MDF_OUT_OF_RANGE:
    'MMDAgent-EX clamps the value to the range; the message says to what. Use a value inside the range.',
  MDF_BAD_PORT: 'Not a TCP port (1–65535). Fix the port.',
  MDF_WS_HOST:
    'The WebSocket host must be a bare name or IP (no scheme, port, path). Put port and path in their own keys.',
  MDF_WS_NO_HOST: 'WebSocket keys without a non-empty host do nothing. Set Plugin_Remote_Websocket_Host.',
  MDF_WS_DIRECTORY: 'The directory must start with "/". Prefix it with "/".',
  MDF_WS_TLS: 'Port 443 means wss (TLS); no other port uses TLS. Informational.',
  MDF_WS_AND_TCP: 'WebSocket and a TCP mode together are unsupported. Turn the TCP mode off (=false).',
  MDF_TCP_SELF_LOOP:
    "TCP client mode aimed at the app's own listen port is switched off by the app. Use another port for one.",
  MDF_TCP_LISTEN_PORT:
    'Server mode reads Plugin_Remote_Port only with client mode on; alone it listens on 60001. Set ListenPort.',
  MDF_RETRY_ZERO:
    'One connection attempt only; the server must already listen. Set Plugin_Remote_RetryCount (e.g. 60).',
  MDF_REMOTE_DISABLED: 'Plugin_Remote is disabled but configured. Add enablePlugin=Remote or drop it from the list.',
};
