// Output as a terminal shows it: a carriage return (a progress meter redrawing its line) keeps only
// what was written after it on that line, and colour and cursor escape sequences are dropped
// instead of shown as `␛[32m`. Display only: the stored output is what the command printed.

/** CSI (colours, cursor moves), OSC (titles, links, ended by BEL or ST) and two-byte ESC sequences. */
// eslint-disable-next-line no-control-regex -- escape sequences are what this removes
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]/g;

export function terminalText(text: string): string {
  if (!text.includes('\r') && !text.includes('\u001b')) return text;
  return text
    .replace(ESCAPES, '')
    .split('\n')
    .map((line) => {
      // A line ending in \r\n (Windows style) keeps its text; a redraw keeps the last version.
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      const at = trimmed.lastIndexOf('\r');
      return at < 0 ? trimmed : trimmed.slice(at + 1);
    })
    .join('\n');
}
