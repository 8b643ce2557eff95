/**
 * Concurrency groups: workflows that name a {@code concurrency} group run one at a time per
 * repository, in trigger order, or, with {@code cancel-in-progress}, a newer run cancels the
 * group's older ones. {@link dev.weft.concurrency.ConcurrencySpec} reads the YAML (short and long
 * form, {@code ${TANGLED_*}} expansion, the 256-character cap) and turns a bad block into the run's
 * error; {@link dev.weft.concurrency.ConcurrencyGroups} is what the run runtime calls (join on
 * dispatch, await the turn before the provider, wake-ups, superseded runs); the queue's legal moves
 * are {@link dev.weft.model.QueueState}'s, and the queue itself lives in the database
 * ({@link dev.weft.store.ConcurrencyStore}), shared by every instance.
 *
 * <p>The read API for operators and consoles is {@link dev.weft.concurrency.ConcurrencyQueues}:
 * {@code all()}, {@code named(group)} and {@code queue(repo, group)} return immutable
 * {@link dev.weft.concurrency.ConcurrencyQueues.GroupQueue}s of {@link dev.weft.store.QueueEntry}
 * (run id, pipeline TID and workflow, waiting or running, since when, superseded by whom), the
 * running entry first. {@code weft runs --group} prints them.
 */
package dev.weft.concurrency;
