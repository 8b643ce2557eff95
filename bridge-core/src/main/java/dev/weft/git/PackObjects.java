package dev.weft.git;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.eclipse.jgit.internal.storage.pack.BinaryDelta;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;

/**
 * The objects of one small pack, read whole from memory: what a partial fetch of a handful of
 * objects returns (a commit, one tree, a directory's files). Nothing is written anywhere, so a
 * fetch costs no files, locks or indexes, which JGit's on-disk fetch spends on every push.
 *
 * <p>Every object's id is computed from its content, so an object is what its id says whatever the
 * knot meant to send; the pack's own checksum is checked too. Deltas are resolved against objects
 * in the same pack only (no thin packs are asked for). Bounds: each object, delta results included,
 * at most {@code maxObjectBytes} inflated, and all of them together at most {@code maxTotalBytes},
 * checked against the sizes the pack declares before anything is inflated, so a small hostile pack
 * cannot make weft allocate more than that.
 */
final class PackObjects {
    /** One object: its git type ({@link Constants#OBJ_COMMIT} and so on) and content. */
    record GitObject(int type, byte[] data) {}

    private static final int OFS_DELTA = 6;
    private static final int REF_DELTA = 7;

    private PackObjects() {
    }

    /** A pack that cannot be read: truncated, corrupt, over a bound, or with a base it lacks. */
    static final class BadPack extends IOException {
        BadPack(String message) {
            super(message);
        }
    }

    /** A delta waiting for its base: by offset within the pack, or by id. */
    private record Delta(long offset, long baseOffset, ObjectId baseId, byte[] delta) {}

    static Map<ObjectId, GitObject> parse(byte[] pack, long maxObjectBytes, long maxTotalBytes) throws BadPack {
        if (pack.length < 32 || pack[0] != 'P' || pack[1] != 'A' || pack[2] != 'C' || pack[3] != 'K') {
            throw new BadPack("not a pack (" + pack.length + " bytes)");
        }
        long version = u32(pack, 4);
        if (version != 2 && version != 3) throw new BadPack("pack version " + version);
        long count = u32(pack, 8);
        int end = pack.length - 20;
        // Every object takes at least two bytes: a header byte and a zlib stream.
        if (count > (end - 12) / 2) throw new BadPack("pack claims " + count + " objects in " + pack.length + " bytes");
        checkTrailer(pack, end);

        ObjectInserter.Formatter ids = new ObjectInserter.Formatter();
        Map<ObjectId, GitObject> objects = new HashMap<>();
        Map<Long, ObjectId> atOffset = new HashMap<>();
        List<Delta> deltas = new ArrayList<>();
        long total = 0;
        int pos = 12;
        Inflater inflater = new Inflater();
        try {
            for (long i = 0; i < count; i++) {
                long start = pos;
                if (pos >= end) throw new BadPack("pack ends after " + i + " of " + count + " objects");
                int c = pack[pos++] & 0xff;
                int type = (c >> 4) & 7;
                long size = c & 15;
                int shift = 4;
                while ((c & 0x80) != 0) {
                    if (pos >= end || shift > 56) throw new BadPack("bad object header at " + start);
                    c = pack[pos++] & 0xff;
                    size += (long) (c & 0x7f) << shift;
                    shift += 7;
                }
                long baseOffset = -1;
                ObjectId baseId = null;
                if (type == OFS_DELTA) {
                    if (pos >= end) throw new BadPack("bad delta offset at " + start);
                    c = pack[pos++] & 0xff;
                    long ofs = c & 127;
                    while ((c & 128) != 0) {
                        if (pos >= end || ofs > (1L << 48)) throw new BadPack("bad delta offset at " + start);
                        c = pack[pos++] & 0xff;
                        ofs = ((ofs + 1) << 7) + (c & 127);
                    }
                    baseOffset = start - ofs;
                    if (baseOffset < 12 || baseOffset >= start) throw new BadPack("delta base outside the pack at " + start);
                } else if (type == REF_DELTA) {
                    if (pos + 20 > end) throw new BadPack("bad delta base at " + start);
                    baseId = ObjectId.fromRaw(pack, pos);
                    pos += 20;
                } else if (type < Constants.OBJ_COMMIT || type > Constants.OBJ_TAG) {
                    throw new BadPack("object type " + type + " at " + start);
                }
                if (size > maxObjectBytes) throw tooLarge(size, maxObjectBytes, start);
                total += size;
                if (total > maxTotalBytes) throw new BadPack("pack holds more than " + maxTotalBytes + " bytes");
                byte[] data = new byte[(int) size];
                pos = inflate(inflater, pack, pos, end, data, start);
                if (type == OFS_DELTA || type == REF_DELTA) {
                    deltas.add(new Delta(start, baseOffset, baseId, data));
                } else {
                    ObjectId id = ids.idFor(type, data);
                    objects.put(id, new GitObject(type, data));
                    atOffset.put(start, id);
                }
            }
            if (pos != end) throw new BadPack((end - pos) + " stray bytes after the last object");
        } finally {
            inflater.end();
        }
        // Chains resolve in any order: keep passing over the deltas whose base is known.
        while (!deltas.isEmpty()) {
            List<Delta> waiting = new ArrayList<>();
            for (Delta d : deltas) {
                ObjectId base = d.baseId() != null ? d.baseId() : atOffset.get(d.baseOffset());
                GitObject b = base == null ? null : objects.get(base);
                if (b == null) {
                    waiting.add(d);
                    continue;
                }
                long size;
                try {
                    size = BinaryDelta.getResultSize(d.delta());
                } catch (RuntimeException e) {
                    throw new BadPack("bad delta at " + d.offset());
                }
                if (size > maxObjectBytes) throw tooLarge(size, maxObjectBytes, d.offset());
                total += size;
                if (total > maxTotalBytes) throw new BadPack("pack holds more than " + maxTotalBytes + " bytes");
                byte[] data;
                try {
                    data = BinaryDelta.apply(b.data(), d.delta());
                } catch (RuntimeException e) {
                    throw new BadPack("delta at " + d.offset() + " does not apply: " + e.getMessage());
                }
                ObjectId id = ids.idFor(b.type(), data);
                objects.put(id, new GitObject(b.type(), data));
                atOffset.put(d.offset(), id);
            }
            if (waiting.size() == deltas.size()) {
                throw new BadPack(waiting.size() + " deltas whose base is not in the pack");
            }
            deltas = waiting;
        }
        return objects;
    }

    /** An object declared larger than the bound: refused before it is inflated. */
    private static BadPack tooLarge(long size, long max, long offset) {
        return new BadPack("object of " + size + " bytes at " + offset + " (at most " + max + ")");
    }

    private static int inflate(Inflater inflater, byte[] pack, int pos, int end, byte[] out, long start) throws BadPack {
        inflater.reset();
        inflater.setInput(pack, pos, end - pos);
        int n = 0;
        byte[] extra = new byte[1];
        try {
            while (!inflater.finished()) {
                int got;
                if (n < out.length) {
                    got = inflater.inflate(out, n, out.length - n);
                    n += got;
                } else {
                    // Declared size reached: the stream must end here (an empty object too).
                    got = inflater.inflate(extra);
                    if (got > 0) throw new BadPack("object at " + start + " inflates to more than its declared " + out.length + " bytes");
                }
                if (got == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new BadPack("object at " + start + " is cut short");
                }
            }
        } catch (DataFormatException e) {
            throw new BadPack("object at " + start + " is not zlib data: " + e.getMessage());
        }
        if (n != out.length) throw new BadPack("object at " + start + " inflates to " + n + " bytes, declared " + out.length);
        return pos + (int) inflater.getBytesRead();
    }

    private static void checkTrailer(byte[] pack, int end) throws BadPack {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(pack, 0, end);
            if (!MessageDigest.isEqual(sha1.digest(), java.util.Arrays.copyOfRange(pack, end, pack.length))) {
                throw new BadPack("pack checksum does not match");
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JDK", e);
        }
    }

    private static long u32(byte[] b, int at) {
        return ((b[at] & 0xffL) << 24) | ((b[at + 1] & 0xffL) << 16) | ((b[at + 2] & 0xffL) << 8) | (b[at + 3] & 0xffL);
    }
}
