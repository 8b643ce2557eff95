package dev.weft.builds;

import dev.weft.knot.CollaboratorUpdate;
import dev.weft.knot.RefUpdate;
import dev.weft.knot.TriggerSink;
import dev.weft.model.Trigger;

import java.util.function.Consumer;

/**
 * What every knot's stream feeds: legacy pipeline records go straight to the run runtime, pushes
 * of upgraded knots to the builder, collaborator changes to the registry. One weft serves both
 * generations of knots through this one sink.
 */
public final class KnotEvents implements TriggerSink {
    private final TriggerSink runs;
    private final PipelineBuilder builder;
    private final Consumer<CollaboratorUpdate> collaborators;

    public KnotEvents(TriggerSink runs, PipelineBuilder builder, Consumer<CollaboratorUpdate> collaborators) {
        this.runs = runs;
        this.builder = builder;
        this.collaborators = collaborators;
    }

    @Override
    public Outcome accept(Trigger trigger) {
        return runs.accept(trigger);
    }

    @Override
    public java.util.concurrent.CompletableFuture<Accepted> acceptLater(Trigger trigger) {
        return runs.acceptLater(trigger);
    }

    @Override
    public Outcome push(RefUpdate update) {
        return builder.push(update);
    }

    @Override
    public void collaborator(CollaboratorUpdate update) {
        collaborators.accept(update);
    }
}
