// Each named wire limit against the protocol text it comes from (../shared/protocol), and the
// relations between them that the codecs rely on.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import {
  AVATAR_IDLE_MS,
  AV_MESSAGE_PREFIX,
  FLUSH_GAP_MS,
  MAX_AGENT_MESSAGE_BYTES,
  MAX_ARGS,
  MAX_FRAME_BYTES,
  MAX_LINE_BYTES,
  MDF_MAX_LINE_BYTES,
  PEER_DISCONNECTED,
  RETRY_INTERVAL_MS,
  SND_BUFFER_SECONDS,
  SND_BYTES_PER_SECOND,
  SND_CONTROL_WORDS,
  SND_DEFAULT_CHUNK_BYTES,
  SND_HEADER_BYTES,
  SND_MAX_CHUNK_BYTES,
  SND_MAX_PAYLOAD_BYTES,
  SND_MIN_CHUNK_BYTES,
  SND_SAMPLE_RATE,
  TOO_MANY_REQUESTS,
  TOO_MANY_REQUESTS_RETRY_MS,
} from '../src/limits.js';

// MMDAGENT_MAXBUFLEN / MMDFILES_MAXBUFLEN: the C buffers behind most text limits (wire.md §5.1, §7.7).
const C_BUFFER = 2048;
// SOCKET_MAXBUFLEN (wire.md §6.5).
const SOCKET_BUFFER = 8192;

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

describe('limits: text lines (wire.md §5.1, §6.5, §7.7)', () => {
  it('MAX_LINE_BYTES is 2046: the 2048-byte strcpy buffer less its NUL and the echo\'s "\\n" (wire.md §7.7)', () => {
    expect(MAX_LINE_BYTES).to.equal(2046);
    expect(MAX_LINE_BYTES).to.equal(C_BUFFER - 2);
  });

  it('MAX_AGENT_MESSAGE_BYTES is 2047: the snprintf buffer less its NUL (wire.md §5.1)', () => {
    expect(MAX_AGENT_MESSAGE_BYTES).to.equal(2047);
    expect(MAX_AGENT_MESSAGE_BYTES).to.equal(C_BUFFER - 1);
  });

  it(
    'a line of MAX_LINE_BYTES comes back whole: its echo with "\\n" fits the agent\'s payload (wire.md §5.1, ' +
      'Verified note 1)',
    () => {
      expect(MAX_LINE_BYTES).to.be.lessThan(MAX_AGENT_MESSAGE_BYTES);
      expect(MAX_LINE_BYTES + 1).to.equal(MAX_AGENT_MESSAGE_BYTES);
    },
  );

  it('MAX_FRAME_BYTES is 8191: the 8192-byte socket buffer read as 8191 − pending (wire.md §6.5)', () => {
    expect(MAX_FRAME_BYTES).to.equal(8191);
    expect(MAX_FRAME_BYTES).to.equal(SOCKET_BUFFER - 1);
    expect(MAX_LINE_BYTES + 1).to.be.lessThan(MAX_FRAME_BYTES); // a longest line with its "\n" fits one frame
  });

  it('MAX_ARGS is 10, MMDAGENT_MAXNCOMMAND (wire.md §7.7)', () => {
    expect(MAX_ARGS).to.equal(10);
    expect(Number.isInteger(MAX_ARGS)).to.equal(true);
  });
});

describe('limits: SND audio (wire.md §8.1–§8.3)', () => {
  it('SND_HEADER_BYTES is "SND" plus 4 ASCII digits (wire.md §8.1)', () => {
    expect(SND_HEADER_BYTES).to.equal(7);
    expect(SND_HEADER_BYTES).to.equal('SND'.length + '0960'.length);
  });

  it(
    'SND_MAX_PAYLOAD_BYTES = MAX_FRAME_BYTES − SND_HEADER_BYTES = ' + '8184, and fits the 4-digit field (wire.md §8.1)',
    () => {
      expect(SND_MAX_PAYLOAD_BYTES).to.equal(MAX_FRAME_BYTES - SND_HEADER_BYTES);
      expect(SND_MAX_PAYLOAD_BYTES).to.equal(8184);
      expect(String(SND_MAX_PAYLOAD_BYTES)).to.have.length(4);
    },
  );

  it(
    'chunk sizes are even (an odd byte misaligns every later sample) ' + 'and ≤ 4 KB as the docs advise (wire.md §8.1)',
    () => {
      expect(SND_MIN_CHUNK_BYTES).to.equal(2);
      expect(SND_MAX_CHUNK_BYTES).to.equal(4096);
      for (const n of [SND_MIN_CHUNK_BYTES, SND_MAX_CHUNK_BYTES, SND_DEFAULT_CHUNK_BYTES])
        expect(n % 2, String(n)).to.equal(0);
      expect(SND_MIN_CHUNK_BYTES).to.be.at.most(SND_DEFAULT_CHUNK_BYTES);
      expect(SND_DEFAULT_CHUNK_BYTES).to.be.at.most(SND_MAX_CHUNK_BYTES);
      expect(SND_MAX_CHUNK_BYTES).to.be.at.most(SND_MAX_PAYLOAD_BYTES);
      expect(SND_HEADER_BYTES + SND_MAX_CHUNK_BYTES).to.be.at.most(MAX_FRAME_BYTES);
    },
  );

  it('PCM is 16 kHz 16-bit mono: SND_BYTES_PER_SECOND = 2 × SND_SAMPLE_RATE = 32 000 (wire.md §8.1, §8.3)', () => {
    expect(SND_SAMPLE_RATE).to.equal(16000);
    expect(SND_BYTES_PER_SECOND).to.equal(2 * SND_SAMPLE_RATE);
    expect(SND_BYTES_PER_SECOND).to.equal(32000);
  });

  it('SND_DEFAULT_CHUNK_BYTES is the recommended 40 ms: 1280 bytes (wire.md §8.1)', () => {
    expect(SND_DEFAULT_CHUNK_BYTES).to.equal(1280);
    expect((SND_DEFAULT_CHUNK_BYTES / SND_BYTES_PER_SECOND) * 1000).to.equal(40);
  });

  it('SND_BUFFER_SECONDS is the 60 s play buffer (wire.md §8.3)', () => {
    expect(SND_BUFFER_SECONDS).to.equal(60);
  });

  it(
    'SND_CONTROL_WORDS are exactly SNDSTRM, SNDFILE, SNDBRKS: 7 ASCII bytes each, starting with SND (wire.md ' +
      '§8.2, §8.4)',
    () => {
      expect([...SND_CONTROL_WORDS]).to.deep.equal(['SNDSTRM', 'SNDFILE', 'SNDBRKS']);
      for (const word of SND_CONTROL_WORDS) {
        expect(word).to.have.length(7);
        expect(isAscii(word), word).to.equal(true);
        expect(word.startsWith('SND'), word).to.equal(true);
        // Not a chunk header: the field after SND is not four digits.
        expect(/^SND\d{4}/.test(word), word).to.equal(false);
      }
    },
  );
});

describe('limits: connection and avatar (wire.md §4.1, §4.3, §5.4, §7.3, §10.3, §10.4)', () => {
  it('retry pauses: 0.5 s after a refusal, 0.2 s after Too Many Requests (wire.md §4.1)', () => {
    expect(RETRY_INTERVAL_MS).to.equal(500);
    expect(TOO_MANY_REQUESTS_RETRY_MS).to.equal(200);
  });

  it('TOO_MANY_REQUESTS is the reason phrase MMDAgent-EX looks for (wire.md §4.3)', () => {
    expect(TOO_MANY_REQUESTS).to.equal('Too Many Requests');
    expect('HTTP/1.1 429 Too Many Requests').to.contain(TOO_MANY_REQUESTS);
  });

  it(
    'FLUSH_GAP_MS is the ~10 ms gap below which MMDAgent-EX holds ' + 'its output back (wire.md Verified note 3, §5.4)',
    () => {
      expect(FLUSH_GAP_MS).to.equal(10);
    },
  );

  it('AV_MESSAGE_PREFIX is the 13-character "__AV_MESSAGE," (wire.md §7.3)', () => {
    expect(AV_MESSAGE_PREFIX).to.equal('__AV_MESSAGE,');
    expect(AV_MESSAGE_PREFIX).to.have.length(13);
    expect(AV_MESSAGE_PREFIX.startsWith('__AV')).to.equal(true);
  });

  it('PEER_DISCONNECTED is the 21 characters "__peer_disconnected__" (wire.md §10.4)', () => {
    expect(PEER_DISCONNECTED).to.equal('__peer_disconnected__');
    expect(PEER_DISCONNECTED).to.have.length(21);
    expect(isAscii(PEER_DISCONNECTED)).to.equal(true);
  });

  it('AVATAR_IDLE_MS is 450 frames at 30 frames/s: 15 s (wire.md §10.3, Verified note 6)', () => {
    expect(AVATAR_IDLE_MS).to.equal(15000);
    expect((450 / 30) * 1000).to.equal(AVATAR_IDLE_MS);
  });
});

describe('limits: .mdf (mdf.md §3.1)', () => {
  it('MDF_MAX_LINE_BYTES is 2047: ZFile::gets cuts a line after 2047 bytes', () => {
    expect(MDF_MAX_LINE_BYTES).to.equal(2047);
    expect(MDF_MAX_LINE_BYTES).to.equal(C_BUFFER - 1);
  });
});
