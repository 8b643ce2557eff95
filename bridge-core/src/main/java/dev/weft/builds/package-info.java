/**
 * Pipelines weft builds itself, for upgraded knots (spec tangled-ci 2.3 to 2.6): a push, a
 * pull-request event or a manual run becomes a durable {@link dev.weft.builds.BuildRequest}
 * before anything slow happens; the {@link dev.weft.builds.PipelineBuilder} then reads
 * {@code .tangled/workflows} at the commit ({@code git}), compiles it ({@code pipelines}) and hands
 * the pipeline to the run runtime ({@code runs}), which announces it on {@code /events}.
 */
package dev.weft.builds;
