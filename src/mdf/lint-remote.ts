// The Plugin_Remote part of the .mdf lint: whether WebSocket mode is really on, with a host,
// port, directory and retry count MMDAgent-EX can use, and no TCP mode fighting it (wire.md §2, §4.1).
import type { MdfDocument } from './document.js';
import type { Def, Report } from './lint.js';
import { leadingNumber } from './values.js';
import { RETRY_COUNT_KEY, WS_DIRECTORY_KEY, WS_HOST_KEY, WS_PORT_KEY } from './websocket.js';

export const q = (text: string) => JSON.stringify(text);

const REMOTE_TCP_KEYS = [
  'Plugin_Remote_EnableClient',
  'Plugin_Remote_ClientMode',
  'Plugin_Remote_EnableServer',
  'Plugin_Remote_ServerMode',
];

export function checkRemote(doc: MdfDocument, last: Map<string, Def>, report: Report): void {
  const host = last.get(WS_HOST_KEY);
  const port = last.get(WS_PORT_KEY);
  const directory = last.get(WS_DIRECTORY_KEY);
  const retry = last.get(RETRY_COUNT_KEY);
  const tcp = REMOTE_TCP_KEYS.map((k) => last.get(k)).filter((d): d is Def => d !== undefined && d.value !== 'false');
  const ws = host !== undefined && host.value !== '';
  if (!ws) {
    const stray = host ?? port ?? directory;
    if (stray) {
      report(
        'MDF_WS_NO_HOST',
        'warning',
        stray.line,
        stray.column,
        `WebSocket mode is off because ${WS_HOST_KEY} is ${host ? 'empty' : 'missing'}; the other ` +
          `Plugin_Remote_Websocket_ keys do nothing alone`,
        `${WS_HOST_KEY}=localhost`,
      );
    }
  } else {
    const h = host.value;
    if (
      !h.includes('%ENV{') &&
      (/[\s/]|^\[|\]$/.test(h) || (h.includes(':') && !/^[\da-fA-F.]*:[\da-fA-F:.]*:[\da-fA-F.]*(%\S+)?$/.test(h)))
    ) {
      report(
        'MDF_WS_HOST',
        'error',
        host.line,
        host.valueColumn,
        `${WS_HOST_KEY} must be a bare host name or IP address, without scheme, port, path or brackets; ` +
          `${q(h)} is used verbatim`,
        `${WS_HOST_KEY}=${h.replace(/^\w+:\/\//, '').replace(/[/:].*$/, '') || 'localhost'}`,
      );
    }
    if (directory && !directory.value.startsWith('/') && !directory.value.startsWith('%ENV{')) {
      report(
        'MDF_WS_DIRECTORY',
        'error',
        directory.line,
        directory.valueColumn,
        `${WS_DIRECTORY_KEY} must start with "/": MMDAgent-EX sends ${q(directory.value)} verbatim as the ` +
          `request target, which servers reject`,
        `${WS_DIRECTORY_KEY}=/${directory.value}`,
      );
    }
    const portNumber = port ? leadingNumber(port.value, true)[0] : 80;
    if (portNumber === 443)
      report(
        'MDF_WS_TLS',
        'info',
        port!.line,
        port!.valueColumn,
        'port 443 means TLS: MMDAgent-EX connects with wss:// (and accepts any certificate); every other port ' +
          'is plain ws://',
      );
    const retries = retry && !retry.value.includes('%ENV{') ? leadingNumber(retry.value, true)[0] : retry ? 1 : 0;
    if (retries <= 0) {
      const at = retry ?? host;
      report(
        'MDF_RETRY_ZERO',
        'warning',
        at.line,
        retry ? retry.valueColumn : at.column,
        `${RETRY_COUNT_KEY} is ${retry ? retries : 'unset (0)'}: MMDAgent-EX tries to connect once and then ` +
          `gives up for good, so the server must already be listening`,
        `${RETRY_COUNT_KEY}=60`,
      );
    }
    for (const t of tcp) {
      report(
        'MDF_WS_AND_TCP',
        'error',
        t.line,
        t.column,
        `${t.key} turns on a TCP mode while WebSocket mode is on (line ${host.line}); MMDAgent-EX does not ` +
          `support both together`,
        `${t.key}=false`,
      );
    }
  }
  if (!ws && tcp.length > 0) checkTcp(last, retry, report);
  if (ws || tcp.length > 0) checkRemoteEnabled(doc, last, report);
}

/** The TCP modes (wire.md §14): the self-loop switch-off, the listen port's default, no retries. */
function checkTcp(last: Map<string, Def>, retry: Def | undefined, report: Report): void {
  const on = (key: string) => {
    const d = last.get(key);
    return d !== undefined && d.value !== 'false' ? d : undefined;
  };
  const client = on('Plugin_Remote_EnableClient') ?? on('Plugin_Remote_ClientMode');
  const server = on('Plugin_Remote_EnableServer') ?? on('Plugin_Remote_ServerMode');
  const portDef = last.get('Plugin_Remote_Port');
  const listenDef = last.get('Plugin_Remote_ListenPort');
  const number = (d: Def | undefined, fallback: number) =>
    d && !d.value.includes('%ENV{') ? leadingNumber(d.value, true)[0] : fallback;
  const host = last.get('Plugin_Remote_Hostname')?.value ?? 'localhost';
  const port = client ? number(portDef, 60001) : 60001;
  const listen = number(listenDef, port);
  if (client && server && (host === 'localhost' || host === '127.0.0.1') && listen === port) {
    report(
      'MDF_TCP_SELF_LOOP',
      'error',
      client.line,
      client.column,
      `client mode dials ${host}:${port}, the app's own listen port: MMDAgent-EX switches client mode off ` +
        '("loop connection") and only listens',
      listenDef ? `${client.key}=false` : 'Plugin_Remote_ListenPort=60002',
    );
  }
  if (server && !client && portDef && !listenDef && number(portDef, 60001) !== 60001) {
    report(
      'MDF_TCP_LISTEN_PORT',
      'warning',
      portDef.line,
      portDef.column,
      `server mode listens on 60001, not on Plugin_Remote_Port=${portDef.value}: that key is read only in ` +
        'client mode; set the listen port with Plugin_Remote_ListenPort',
      `Plugin_Remote_ListenPort=${portDef.value}`,
    );
  }
  const retries = retry && !retry.value.includes('%ENV{') ? leadingNumber(retry.value, true)[0] : retry ? 1 : 0;
  if (client && retries <= 0) {
    report(
      'MDF_RETRY_ZERO',
      'warning',
      retry ? retry.line : client.line,
      retry ? retry.valueColumn : client.column,
      `${RETRY_COUNT_KEY} is ${retry ? retries : 'unset (0)'}: in TCP client mode MMDAgent-EX dials once and ` +
        `then gives up for good${server ? ' (it keeps listening)' : ''}, so the server must already be listening`,
      `${RETRY_COUNT_KEY}=60`,
    );
  }
}

function checkRemoteEnabled(doc: MdfDocument, last: Map<string, Def>, report: Report): void {
  const names = (key: string) => (last.get(key)?.value ?? '').split(',');
  const enabled = names('enablePlugin').some((n) => n === 'Remote' || n === 'ALL');
  if (enabled) return;
  const exclude = last.get('exclude_Plugin_Remote');
  const disable = last.get('disablePlugin');
  const off =
    exclude && doc.getBoolean('exclude_Plugin_Remote')
      ? exclude
      : disable && names('disablePlugin').some((n) => n === 'Remote' || n === 'ALL')
        ? disable
        : undefined;
  if (off)
    report(
      'MDF_REMOTE_DISABLED',
      'error',
      off.line,
      off.column,
      `${off.key}=${off.value} disables Plugin_Remote, which the Remote settings in this file need`,
      'add enablePlugin=Remote, or remove Remote from the list',
    );
}
