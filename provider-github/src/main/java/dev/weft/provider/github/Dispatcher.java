package dev.weft.provider.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.provider.github.rest.ApiResponse;
import dev.weft.provider.github.rest.GitHubJson;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.provider.github.rest.RateLimitedException;
import dev.weft.spi.RetriableProviderException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;

/**
 * Sends one {@code workflow_dispatch}, asking for the run's details. Never sends it twice on its own:
 * the one resend is to an old GitHub Enterprise Server that rejected {@code return_run_details}
 * (400/422 naming it), which created nothing. An answer that leaves it unknown whether a run was
 * created (a timeout, a 5xx) comes back as {@link Outcome.Unknown} for the caller to look first.
 */
final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    sealed interface Outcome {
        /** 200 with the run's details. */
        record Created(long runId, String htmlUrl) implements Outcome {
        }

        /** 204 (or an old server): created, but which run is for the correlator to find. */
        record Accepted() implements Outcome {
        }

        /** The request may or may not have created a run. */
        record Unknown(String why) implements Outcome {
        }
    }

    /** GitHub refused the dispatch for good (404, 403, 422...). */
    static final class DispatchRefusedException extends Exception {
        DispatchRefusedException(String message) {
            super(message);
        }
    }

    private final GitHubRest rest;

    Dispatcher(GitHubRest rest) {
        this.rest = rest;
    }

    Outcome dispatch(String owner, String repo, String workflow, String ref, Map<String, String> inputs)
            throws DispatchRefusedException, RetriableProviderException, InterruptedException {
        return send(owner, repo, workflow, ref, inputs, true);
    }

    private Outcome send(String owner, String repo, String workflow, String ref, Map<String, String> inputs,
                         boolean details) throws DispatchRefusedException, RetriableProviderException,
            InterruptedException {
        ObjectNode body = GitHubJson.MAPPER.createObjectNode();
        body.put("ref", ref);
        ObjectNode in = body.putObject("inputs");
        inputs.forEach(in::put);
        if (details) body.put("return_run_details", true);
        ApiResponse r;
        try {
            r = rest.post(rest.repo(owner, repo, "actions", "workflows", workflow, "dispatches").build(), body);
        } catch (RateLimitedException e) {
            // Refused before it was processed: nothing was created, so trying again later is safe.
            throw new RetriableProviderException(e.getMessage(), e, e.retryAfter());
        } catch (IOException e) {
            return new Outcome.Unknown(e.toString());
        }
        String where = workflow + " on " + owner + "/" + repo + " at " + ref;
        switch (r.code()) {
            case 200, 201 -> {
                JsonNode json = r.json();
                JsonNode id = json.path("workflow_run_id");
                if (id.canConvertToLong() && id.asLong() > 0) {
                    return new Outcome.Created(id.asLong(), json.path("html_url").asText(""));
                }
                return new Outcome.Accepted();
            }
            case 202, 204 -> {
                return new Outcome.Accepted();
            }
            default -> {
            }
        }
        if (details && (r.code() == 400 || r.code() == 422) && r.body().contains("return_run_details")) {
            log.info("dispatch of {}: the server does not know return_run_details; sending again without it", where);
            return send(owner, repo, workflow, ref, inputs, false);
        }
        if (r.serverError()) return new Outcome.Unknown(r.describe());
        String msg = r.message();
        throw new DispatchRefusedException(switch (r.code()) {
            case 404 -> "GitHub has no workflow " + workflow + " in " + owner + "/" + repo
                    + ", or the credentials cannot see it (" + r.describe() + ")";
            case 401, 403 -> "GitHub refused to dispatch " + where + " (" + r.describe()
                    + "): the credentials need Actions read and write on " + owner + "/" + repo;
            case 422 -> "GitHub rejected the dispatch of " + where + " (" + r.describe() + ")"
                    + (msg.contains("Unexpected inputs") || msg.contains(WorkflowBlock.RUN_ID_INPUT)
                    ? ": declare every input, and " + WorkflowBlock.RUN_ID_INPUT
                    + ", under on.workflow_dispatch.inputs" : "");
            default -> "GitHub refused to dispatch " + where + " (" + r.describe() + ")";
        });
    }
}
