/**
 * The real limits of MMDAgent-EX's remote protocol, as named constants.
 * Each cites the section of ../shared/protocol it comes from.
 */

/**
 * Longest safe line body in bytes, before the `\n`
 * (wire.md §7.7: 2048-byte strcpy buffers; keeps the echo intact, §5.1).
 */
export const MAX_LINE_BYTES = 2046;

/** Largest frame payload MMDAgent-EX reads when nothing is pending (wire.md §6.5: 8191 − pending). */
export const MAX_FRAME_BYTES = 8191;

/** Largest payload of a frame MMDAgent-EX sends: its 2048-byte snprintf buffer (wire.md §5.1). */
export const MAX_AGENT_MESSAGE_BYTES = 2047;

/** Arguments the core dispatcher keeps; the rest are dropped (wire.md §7.7, MMDAGENT_MAXNCOMMAND). */
export const MAX_ARGS = 10;

/** `SND` + 4 ASCII digits (wire.md §8.1). */
export const SND_HEADER_BYTES = 7;

/** Smallest and largest SND payload the SDK produces: even, ≤ 4 KB as the docs advise (wire.md §8.1). */
export const SND_MIN_CHUNK_BYTES = 2;
export const SND_MAX_CHUNK_BYTES = 4096;

/** 40 ms of 16 kHz 16-bit mono, the chunk size the docs recommend (wire.md §8.1). */
export const SND_DEFAULT_CHUNK_BYTES = 1280;

/** The largest length the 4-digit field can carry that still fits the 8191-byte read window (wire.md §8.1). */
export const SND_MAX_PAYLOAD_BYTES = MAX_FRAME_BYTES - SND_HEADER_BYTES;

/** PCM format of SND audio: 16 kHz, signed 16-bit little-endian, mono (wire.md §8.1). */
export const SND_SAMPLE_RATE = 16000;
export const SND_BYTES_PER_SECOND = SND_SAMPLE_RATE * 2;

/** Seconds of audio MMDAgent-EX buffers; chunks beyond it are dropped whole (wire.md §8.3). */
export const SND_BUFFER_SECONDS = 60;

/** The three audio control words (wire.md §8.2). */
export const SND_CONTROL_WORDS = ['SNDSTRM', 'SNDFILE', 'SNDBRKS'] as const;
export type SndControlWord = (typeof SND_CONTROL_WORDS)[number];

/**
 * A sender needs gaps of at least this long for MMDAgent-EX to flush its own output
 * (wire.md §5.4, "Verified" note 3).
 */
export const FLUSH_GAP_MS = 10;

/** Prefix that injects a bus message through the avatar path (wire.md §7.3, avatar.md §2). */
export const AV_MESSAGE_PREFIX = '__AV_MESSAGE,';

/** Recognised only at the start of a frame; disables that connection's avatar (wire.md §10.4). */
export const PEER_DISCONNECTED = '__peer_disconnected__';

/** Retry pauses of the connect series (wire.md §4.1). */
export const RETRY_INTERVAL_MS = 500;
export const TOO_MANY_REQUESTS_RETRY_MS = 200;

/** Reason phrase MMDAgent-EX looks for before renaming its path to `<path>-N` (wire.md §4.3). */
export const TOO_MANY_REQUESTS = 'Too Many Requests';

/** MMDAgent-EX's idle event fires after 450 frames (15 s) without data (wire.md §10.3). */
export const AVATAR_IDLE_MS = 15000;

/** `.mdf` lines are read in pieces of at most this many bytes (mdf.md §3.1, ZFile::gets). */
export const MDF_MAX_LINE_BYTES = 2047;
