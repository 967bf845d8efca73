// Draws Tidemark's app icons as PNG with nothing but node:zlib, so the repository needs no
// image tool: a teal square with a white tide line and a mark. Run: node scripts/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x / size, y / size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0))
  ]);
}
const teal = [15, 118, 110, 255];
const deep = [17, 94, 89, 255];
const white = [255, 255, 255, 255];
// scale < 1 keeps the drawing inside the maskable safe zone.
function drawIcon(scale, rounded) {
  return (x, y) => {
    const cx = (x - 0.5) / scale + 0.5;
    const cy = (y - 0.5) / scale + 0.5;
    if (rounded) {
      const r = 0.18;
      const dx = Math.max(r - x, 0, x - (1 - r));
      const dy = Math.max(r - y, 0, y - (1 - r));
      if (dx * dx + dy * dy > r * r) return [0, 0, 0, 0];
    }
    const wave = 0.55 + 0.08 * Math.sin(cx * Math.PI * 2.5);
    if (cx > 0.12 && cx < 0.88 && Math.abs(cy - wave) < 0.045) return white;
    if (cx > 0.12 && cx < 0.88 && cy > wave + 0.045 && cy < 0.82) return deep;
    if (Math.abs(cx - 0.5) < 0.035 && cy > 0.18 && cy < wave) return white;
    if (Math.abs(cy - 0.2) < 0.035 && Math.abs(cx - 0.5) < 0.16) return white;
    return teal;
  };
}
writeFileSync('static/icons/icon-192.png', png(192, drawIcon(1, true)));
writeFileSync('static/icons/icon-512.png', png(512, drawIcon(1, true)));
writeFileSync('static/icons/maskable-512.png', png(512, drawIcon(0.72, false)));
writeFileSync('static/icons/maskable-192.png', png(192, drawIcon(0.72, false)));
console.log('icons written');
