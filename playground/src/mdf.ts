// The `.mdf` lines that point MMDAgent-EX at this server and channel.
import { MdfDocument, parseMdf, setWebsocketSettings } from '../../src/index.js';
import { channelPath, serverBase } from './address.js';
import { $, copyText, showError } from './dom.js';

export function mdfLines(server: URL, channel: string): string {
  const url = new URL(server.href);
  url.pathname = channel;
  url.search = '';
  const doc: MdfDocument = parseMdf('');
  setWebsocketSettings(doc, url.href, { retryCount: 60 });
  return doc.toString().replace(/\r?\n$/, '');
}

/** `channel`: the connected one when there is a connection, else the field's. */
export function renderMdf(channel?: string): void {
  let text = '';
  let error: unknown = null;
  try {
    text = mdfLines(serverBase(), channel ?? channelPath());
  } catch (err) {
    error = err;
  }
  $<HTMLTextAreaElement>('mdf-lines').value = text;
  showError($('mdf-error'), error);
  $<HTMLButtonElement>('mdf-copy').disabled = !text;
}

export function wireMdf(): void {
  $('mdf-copy').addEventListener('click', async () => {
    const ok = await copyText($<HTMLTextAreaElement>('mdf-lines').value);
    $('mdf-copied').textContent = ok ? 'Copied.' : 'Copy failed: select the text and copy it by hand.';
  });
}
