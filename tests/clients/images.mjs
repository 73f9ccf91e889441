// Small real images for the upload checks, and their pixel size read back
// from the bytes a server sends: a PNG written here (IHDR, one zlib-deflated
// IDAT, IEND), and the width and height of a PNG (its IHDR) or a JPEG (its
// SOF segment). It decodes no pixels: a size is all the checks compare.

import { crc32, deflateSync } from 'node:zlib';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/**
 * A `width`×`height` 8-bit RGB PNG: a diagonal gradient from orange to
 * blue with a white band across the middle, so a thumbnail of it is
 * recognisable in a screenshot.
 */
export function pngImage(width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = 2; // colour type: RGB
  // header[10..13]: deflate, adaptive filtering, no interlace (all 0)
  const row = 1 + width * 3;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0; // filter: none
    const band = Math.abs(y - height / 2) < height / 12;
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      const at = y * row + 1 + x * 3;
      raw[at] = band ? 255 : Math.round(240 * (1 - t) + 20 * t);
      raw[at + 1] = band ? 255 : Math.round(140 * (1 - t) + 90 * t);
      raw[at + 2] = band ? 255 : Math.round(30 * (1 - t) + 220 * t);
    }
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The format and pixel size of a PNG or JPEG, from its header; throws on
 * anything else, or on a JPEG without a frame header.
 */
export function imageSize(bytes) {
  const buf = Buffer.from(bytes);
  if (buf.subarray(0, 8).equals(PNG_SIGNATURE) && buf.toString('latin1', 12, 16) === 'IHDR') {
    return { format: 'png', width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    // Segments follow SOI: 0xFF, a marker, a big-endian length that counts
    // itself. A frame header (SOF0–SOF15 less DHT, JPG and DAC) holds
    // precision, height, width.
    let at = 2;
    while (at + 4 <= buf.length) {
      if (buf[at] !== 0xff) throw new Error(`not a JPEG marker at byte ${at}`);
      const marker = buf[at + 1];
      if (marker === 0xff) {
        at += 1; // fill byte
        continue;
      }
      const length = buf.readUInt16BE(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { format: 'jpeg', width: buf.readUInt16BE(at + 7), height: buf.readUInt16BE(at + 5) };
      }
      if (marker === 0xda) break; // start of scan: no frame header came before it
      at += 2 + length;
    }
    throw new Error('a JPEG without a frame header');
  }
  throw new Error(`neither PNG nor JPEG (starts ${buf.subarray(0, 8).toString('hex')})`);
}
