// Writes the PWA icons (client/public/*.png) from code, so nothing is downloaded at install time.
// Run once with `node client/scripts/make-icons.ts`; the PNGs are committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf: Buffer) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

function png(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) raw.set(pixel(x, y), y * (size * 4 + 1) + 1 + x * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const distToSegment = (px: number, py: number, ax: number, ay: number, bx: number, by: number) => {
  const t = Math.max(
    0,
    Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
  );
  return Math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay)));
};

/** A "V" on an indigo tile; `safe` shrinks the glyph into the maskable safe zone and fills the corners. */
function icon(size: number, maskable: boolean): Buffer {
  const r = maskable ? 0 : size * 0.22;
  const scale = maskable ? 0.62 : 0.8;
  return png(size, (x, y) => {
    const u = x + 0.5,
      v = y + 0.5;
    const dx = Math.max(r - u, u - (size - r), 0),
      dy = Math.max(r - v, v - (size - r), 0);
    const outside = Math.hypot(dx, dy) - r;
    const alpha = maskable ? 255 : Math.round(255 * Math.max(0, Math.min(1, 0.5 - outside)));
    const t = (u + v) / (2 * size);
    let rgb = [
      Math.round(79 + (99 - 79) * t),
      Math.round(70 + (102 - 70) * t),
      Math.round(229 + (241 - 229) * t),
    ];
    const c = size / 2,
      h = (size * scale) / 2;
    const d = Math.min(
      distToSegment(u, v, c - h * 0.7, c - h * 0.6, c, c + h * 0.65),
      distToSegment(u, v, c + h * 0.7, c - h * 0.6, c, c + h * 0.65),
    );
    const stroke = size * scale * 0.09;
    const ink = Math.max(0, Math.min(1, stroke - d + 0.5));
    rgb = rgb.map((ch) => Math.round(ch * (1 - ink) + 255 * ink));
    return [rgb[0], rgb[1], rgb[2], alpha];
  });
}

const out = new URL('../public/', import.meta.url);
writeFileSync(new URL('icon-192.png', out), icon(192, false));
writeFileSync(new URL('icon-512.png', out), icon(512, false));
writeFileSync(new URL('icon-maskable-512.png', out), icon(512, true));
writeFileSync(new URL('apple-touch-icon.png', out), icon(180, true));
