// Structured pruning with topology preservation (DESIGN.md section 1, stage 1) and unstructured magnitude
// pruning. The pieces, in the order a prune run uses them:
//
//   1. analyze_channels()   which channels must be removed together (dependency groups), and why some
//                           cannot be removed at all;
//   2. channel_scores()     how important each removable channel is (L1 / L2 filter norm, BN-gamma,
//                           first-order Taylor);
//   3. select_channels()    which channels to remove for a ratio, a MAC or a parameter target, respecting
//                           minimum widths and rounding to the target's SIMD multiple;
//   4. shrink_channels()    the physical Graph -> Graph rewrite to a smaller dense network (and
//                           mask_channels(), the same removal as zeroed weights, the reference that tests
//                           compare it with);
//   5. magnitude_prune()    Han et al. 2015: zero the smallest weights, shapes unchanged.
//
// The channel model: every Conv / Gemm output (and every graph input) opens a *channel space* of fresh
// elements; ops pass elements through (BN, activations, pools, depthwise convs), combine them (Concat),
// permute them (channel shuffle), spread them (Flatten: a channel becomes a block of H*W FC columns) or tie
// them (residual Add/Mul: input channels i are one channel; grouped convs and shuffles: channel j of every
// group is one channel). Tied elements form one *channel* (the unit of removal); spaces whose channels are
// tied form one *dependency group*. A channel touching a graph input or output, or an op the analysis does
// not understand, cannot be removed; the group records the reason. Not handled (reported as unprunable):
// MatMul, Transpose other than a channel shuffle, Softmax over channels, ConvTranspose, QDQ graphs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"

namespace tinyopt::prune {

// A set of fresh channels: the output channels of one Conv or Gemm node (or a graph input).
struct ChannelSpace {
  std::string node;   // producing node (or graph input) name
  OpType op = OpType::kIdentity;
  int64_t width = 0;  // channels
  int64_t first_element = 0;  // global element ids first_element .. first_element + width - 1
};

// The unit of removal: tied elements (global ids) that go together.
struct Channel {
  std::vector<int64_t> elements;
};

struct DependencyGroup {
  std::vector<int> spaces;           // indices into ChannelAnalysis::spaces
  std::vector<Channel> channels;     // ordered by smallest element id
  std::vector<std::string> members;  // "conv1 (Conv) output", "conv1_bn (BatchNormalization)", ...
  bool prunable = true;
  std::string reason;                // why not, naming the node and op, when !prunable
};

// A Reshape -> Transpose(0,2,1,3,4) -> Reshape channel shuffle recognized by the analysis.
struct ChannelShuffle {
  std::string split_reshape, transpose, merge_reshape;
  int64_t groups = 0;
};

struct ChannelAnalysis {
  std::vector<ChannelSpace> spaces;
  std::vector<DependencyGroup> groups;
  std::vector<ChannelShuffle> shuffles;
  // Element id at each axis-1 index of every value whose channels are tracked (activations).
  std::map<std::string, std::vector<int64_t>> value_elements;
  int64_t element_count = 0;

  int space_of(int64_t element) const;  // index into spaces
};

// Builds the dependency groups of a float graph. Never throws for an op it does not understand: the
// channels through it become unprunable with a reason. Throws Error(kBadInput) when shapes cannot be
// inferred.
ChannelAnalysis analyze_channels(const Graph& graph);

// Which channels to remove: removed[g][c] for group g, channel c of an analysis.
struct ChannelSelection {
  std::vector<std::vector<bool>> removed;
};
ChannelSelection empty_selection(const ChannelAnalysis& analysis);

// The smaller dense graph without the removed channels: weights, BN parameters, consumers' input channels,
// Gemm columns (H*W per flattened channel), depthwise groups and Reshape targets sliced; shapes re-inferred
// (batch -1 kept). The result passes verify_graph(). Throws Error(kInternal) if the selection removes an
// unprunable channel or unbalances a grouped conv (select_channels() never does).
Graph shrink_channels(const Graph& graph, const ChannelAnalysis& analysis, const ChannelSelection& selection);
// The same removal as zeroed weights (filter rows, biases, BN gamma and beta), shapes unchanged: every
// removed channel then carries exactly 0 after its BN and activation, so the masked graph computes what the
// shrunk one does (for activations with f(0) = 0 on removed channels; a Sigmoid gate multiplied by a removed
// channel is fine).
Graph mask_channels(const Graph& graph, const ChannelAnalysis& analysis, const ChannelSelection& selection);

// ---- importance ----

enum class Criterion { kL1, kL2, kSlimming, kTaylor };
Criterion criterion_from_name(const std::string& name);  // "l1" | "l2" | "slimming" | "taylor"

struct TaylorOptions {
  const Dataset* data = nullptr;  // labelled training data (required for kTaylor)
  int batches = 4;
  int batch = 64;
  int threads = 0;
  uint64_t seed = 0;
};

// Score of every channel, scores[g][c] (0 for unprunable groups). Member scores (per filter of a producing
// conv/Gemm for L1/L2, per BN channel |gamma| for slimming, per BN or filter |activation x gradient| summed
// over batches for Taylor) are divided by their node's mean, then summed over a channel's members, so
// scores compare across layers (global ranking). Slimming and Taylor fall back to L1 in groups without BN.
std::vector<std::vector<double>> channel_scores(const Graph& graph, const ChannelAnalysis& analysis,
                                                Criterion criterion, const TaylorOptions& taylor = {});

// ---- selection ----

struct PruneTarget {
  double ratio = -1;           // fraction of prunable channels to remove, in [0, 1)
  int64_t target_macs = -1;    // or: prune until MACs <= target_macs
  int64_t target_params = -1;  // or: prune until params <= target_params
  // Or: keep exactly this many channels at each named producer node (a layer found by hand or by another
  // tool); unnamed layers keep all of theirs. Min widths and rounding do not apply to what is asked here.
  std::map<std::string, int64_t> widths;
  bool global = false;         // ratio: one threshold over all groups (default: the same ratio per group)
  int64_t min_channels = 0;    // per space; 0 = max(4, ceil(10% of the original width))
  int64_t round_to = 4;        // kept channels per space a multiple of this (or the full width)
  // Original widths by producer node, so iterative pruning keeps min_channels relative to the unpruned
  // model; spaces missing here use their current width.
  std::map<std::string, int64_t> original_width;
};

struct SelectionResult {
  ChannelSelection selection;
  int64_t macs = 0, params = 0;  // of the shrunk graph
};

// Chooses the channels to remove. Throws Error(kInfeasible) when nothing is prunable (naming why) or when
// the target is below what min_channels allows (naming the smallest achievable MACs/params), and
// Error(kUsage) for a ratio outside [0, 1) or a width naming no prunable layer or more channels than it has.
SelectionResult select_channels(const Graph& graph, const ChannelAnalysis& analysis,
                                const std::vector<std::vector<double>>& scores, const PruneTarget& target);

// Channels per space before and after a selection (for reports): node -> {before, after}.
std::map<std::string, std::pair<int64_t, int64_t>> space_widths(const ChannelAnalysis& analysis,
                                                                const ChannelSelection& selection);

// ---- the whole structured prune, one-shot or iterative ----

struct PruneOptions {
  Criterion criterion = Criterion::kL1;
  PruneTarget target;
  int steps = 1;  // iterative: prune a step, fine-tune, repeat; targets are interpolated geometrically
  TaylorOptions taylor;
};

struct PruneStep {
  int step = 0;
  int64_t macs = 0, params = 0;
};

using FineTuneFn = std::function<Graph(const Graph& pruned, int step)>;
using StepFn = std::function<void(const PruneStep&)>;

// Prunes `graph` in options.steps steps; after each step `fine_tune` (when set) returns the retrained
// graph. Returns the final graph.
Graph prune_structured(const Graph& graph, const PruneOptions& options, const FineTuneFn& fine_tune = {},
                       const StepFn& on_step = {});

// ---- unstructured ----

struct LayerSparsity {
  std::string node;
  int64_t weights = 0, zeros = 0;
};
struct MagnitudeResult {
  Graph graph;
  std::vector<LayerSparsity> layers;
  int64_t weights = 0, zeros = 0;
};
// Zeroes the `ratio` smallest-magnitude weights of every Conv/Gemm weight (global: one threshold over all
// of them; otherwise per layer). Biases and BN are kept. Shapes are unchanged.
MagnitudeResult magnitude_prune(const Graph& graph, double ratio, bool global);
// Zero weights per Conv/Gemm layer of any graph.
std::vector<LayerSparsity> weight_sparsity(const Graph& graph);

}  // namespace tinyopt::prune
