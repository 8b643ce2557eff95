package dev.weft.git;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;

/** Builds real bare repositories and commits for the tests, without a work tree or a git binary. */
public final class TestRepos {
    private TestRepos() {}

    /** A tree entry: file content, an executable, a symlink, a submodule, or a large zero-filled blob. */
    public sealed interface Node {}
    public record Blob(byte[] bytes, boolean executable) implements Node {}
    record Link(String target) implements Node {}
    record Gitlink(ObjectId commit) implements Node {}
    record Zeros(long size) implements Node {}

    public static Blob text(String s) {
        return new Blob(s.getBytes(StandardCharsets.UTF_8), false);
    }

    public static Repository bare(Path dir) throws IOException {
        FileRepository repo = new FileRepository(dir.toFile());
        repo.create(true);
        return repo;
    }

    /** Commits {@code tree} (path -> node) on refs/heads/main, with {@code parent} if not null. */
    public static ObjectId commit(Repository repo, ObjectId parent, Map<String, ? extends Node> tree) throws IOException {
        try (ObjectInserter ins = repo.newObjectInserter()) {
            DirCache dc = DirCache.newInCore();
            DirCacheBuilder b = dc.builder();
            for (var e : tree.entrySet()) {
                DirCacheEntry entry = new DirCacheEntry(e.getKey());
                switch (e.getValue()) {
                    case Blob blob -> {
                        entry.setFileMode(blob.executable() ? FileMode.EXECUTABLE_FILE : FileMode.REGULAR_FILE);
                        entry.setObjectId(ins.insert(Constants.OBJ_BLOB, blob.bytes()));
                    }
                    case Link link -> {
                        entry.setFileMode(FileMode.SYMLINK);
                        entry.setObjectId(ins.insert(Constants.OBJ_BLOB, link.target().getBytes(StandardCharsets.UTF_8)));
                    }
                    case Gitlink g -> {
                        entry.setFileMode(FileMode.GITLINK);
                        entry.setObjectId(g.commit());
                    }
                    case Zeros z -> {
                        entry.setFileMode(FileMode.REGULAR_FILE);
                        entry.setObjectId(ins.insert(Constants.OBJ_BLOB, z.size(), zeros(z.size())));
                    }
                }
                b.add(entry);
            }
            b.finish();
            ObjectId treeId = dc.writeTree(ins);
            CommitBuilder c = new CommitBuilder();
            c.setTreeId(treeId);
            if (parent != null) c.setParentId(parent);
            PersonIdent who = new PersonIdent("Test", "test@example.invalid");
            c.setAuthor(who);
            c.setCommitter(who);
            c.setMessage("test commit\n");
            ObjectId id = ins.insert(c);
            ins.flush();
            RefUpdate ru = repo.updateRef("refs/heads/main");
            ru.setNewObjectId(id);
            ru.forceUpdate();
            return id;
        }
    }

    private static InputStream zeros(long size) {
        return new InputStream() {
            long left = size;

            @Override
            public int read() {
                if (left <= 0) return -1;
                left--;
                return 0;
            }

            @Override
            public int read(byte[] buf, int off, int len) {
                if (left <= 0) return -1;
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(buf, off, off + n, (byte) 0);
                left -= n;
                return n;
            }
        };
    }
}
