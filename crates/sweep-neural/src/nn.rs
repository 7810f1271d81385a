//! What every network shares: the run's own generator (weights with stable parameter ids,
//! dropout masks), layers initialised from it, and a batch of padded texts.
//!
//! The weights and the dropout masks come from the run's generator, not burn's (one global
//! generator per process, which runs trained side by side would share): a run is the same
//! whatever else the process trains. Parameter ids are numbered in the order the layers are
//! built, so a network rebuilt from the same config has the same ids, and an optimizer state
//! saved in a checkpoint finds its parameters again on resume.

use burn::module::{Module, Param, ParamId};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// The run's generator: weights at build time, dropout masks in training.
pub struct Generator {
    rng: Pcg64Mcg,
    next_id: u64,
}

impl Generator {
    /// The generator that draws a network's weights.
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: Pcg64Mcg::seed_from_u64(seed ^ 0x0074_6578_7463_6e6e),
            next_id: 1,
        }
    }

    /// The generator of one epoch's dropout masks: a function of the seed and the epoch
    /// alone, so a run resumed at an epoch draws what it would have drawn.
    pub fn for_epoch(seed: u64, epoch: usize) -> Generator {
        let mix = (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Generator::new(seed ^ 0x6472_6f70_6f75_7400 ^ mix)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    fn id(&mut self) -> ParamId {
        let id = ParamId::from(self.next_id);
        self.next_id += 1;
        id
    }

    /// A trainable parameter holding `data`, with the next id.
    fn param<const D: usize>(&mut self, data: TensorData, device: &Device) -> Param<Tensor<D>> {
        let mut param = Param::from_data(data, device);
        param.id = self.id();
        param
    }

    /// A parameter of `shape` drawn uniformly in `±bound`.
    pub fn uniform<const D: usize>(
        &mut self,
        shape: [usize; D],
        bound: f64,
        device: &Device,
    ) -> Param<Tensor<D>> {
        let n = shape.iter().product();
        let values: Vec<f32> = (0..n)
            .map(|_| ((self.unit() * 2.0 - 1.0) * bound) as f32)
            .collect();
        self.param(TensorData::new(values, shape), device)
    }

    /// A parameter of `shape` with every entry `value`.
    pub fn filled<const D: usize>(
        &mut self,
        shape: [usize; D],
        value: f32,
        device: &Device,
    ) -> Param<Tensor<D>> {
        let n = shape.iter().product();
        self.param(TensorData::new(vec![value; n], shape), device)
    }

    /// A dropout mask: each entry 0 with probability `p`, else `1 / (1 − p)`; two entries
    /// per 64-bit draw, each compared with `p` on 32 of its bits.
    pub fn mask<const D: usize>(
        &mut self,
        shape: [usize; D],
        p: f64,
        device: &Device,
    ) -> Tensor<D> {
        let keep = (1.0 / (1.0 - p)) as f32;
        let threshold = (p * 4_294_967_296.0) as u64;
        let n: usize = shape.iter().product();
        let mut mask: Vec<f32> = Vec::with_capacity(n + 1);
        while mask.len() < n {
            let r = self.rng.next_u64();
            for half in [r & 0xffff_ffff, r >> 32] {
                mask.push(if half < threshold { 0.0 } else { keep });
            }
        }
        mask.truncate(n);
        Tensor::from_data(TensorData::new(mask, shape), device)
    }
}

/// Makes glibc keep freed memory for reuse rather than hand every large tensor buffer back
/// to the kernel: with its defaults, each step's big tensors (attention scores, gradients)
/// were fresh mappings, page faults and zeroing; a Transformer step went from 438 to 256
/// ms (`benches/steps.rs`). Process-wide and done once; elsewhere than glibc, nothing.
#[allow(unsafe_code)]
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only sets allocator parameters; it is called before any
            // buffer of ours is allocated with them and is safe to call at any time.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
                libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
            }
        });
    }
}

/// The checks every model's settings share: each of `sizes` at least 1 and `dropout` in
/// `[0, 1)`; each problem as `(setting, message)`.
pub fn size_problems(sizes: &[(&'static str, usize)], dropout: f64) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = sizes
        .iter()
        .filter(|(_, v)| *v == 0)
        .map(|(key, _)| (*key, "must be at least 1".to_string()))
        .collect();
    if !(0.0..1.0).contains(&dropout) {
        out.push(("dropout", format!("must be in [0, 1), got {dropout}")));
    }
    out
}

/// Inverted dropout of `x` with probability `p` when training (`g` given), else `x`.
pub fn dropout<const D: usize>(x: Tensor<D>, p: f64, g: Option<&mut Generator>) -> Tensor<D> {
    match g {
        Some(g) if p > 0.0 => {
            let mask = g.mask(x.dims(), p, &x.device());
            x * mask
        }
        _ => x,
    }
}

/// Token embeddings, uniform in `±bound`.
pub fn embedding(
    g: &mut Generator,
    vocab: usize,
    dim: usize,
    bound: f64,
    device: &Device,
) -> Embedding {
    let mut layer = EmbeddingConfig::new(vocab, dim).init(device);
    layer.weight = g.uniform([vocab, dim], bound, device);
    layer
}

/// A linear layer with PyTorch's initialisation (uniform in ±1/√fan-in).
pub fn linear(g: &mut Generator, input: usize, output: usize, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(input, output).init(device);
    let bound = 1.0 / (input as f64).sqrt();
    layer.weight = g.uniform([input, output], bound, device);
    layer.bias = Some(g.uniform([output], bound, device));
    layer
}

/// A 1-d convolution over token windows as one wide matrix product: every token times the
/// kernel's `width` slices side by side (`[batch · len, input] × [input, width · output]`),
/// then each window sums its tokens' products for their offsets. burn's `Conv1d` on the
/// `flex` backend spent most of a TextCNN step in narrow matrix kernels and transposes.
#[derive(Module, Debug)]
pub struct WindowConv {
    /// Column block `i` (`output` wide) is the kernel at offset `i`.
    weight: Param<Tensor<2>>,
    bias: Param<Tensor<1>>,
    width: usize,
}

impl WindowConv {
    /// PyTorch's initialisation (uniform in ±1/√(input · width)).
    pub fn new(
        g: &mut Generator,
        input: usize,
        output: usize,
        width: usize,
        device: &Device,
    ) -> WindowConv {
        let bound = 1.0 / ((input * width) as f64).sqrt();
        WindowConv {
            weight: g.uniform([input, width * output], bound, device),
            bias: g.uniform([output], bound, device),
            width,
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Features per window.
    pub fn output(&self) -> usize {
        self.bias.dims()[0]
    }

    /// `x`: `[batch, len, input]` (len ≥ width) → `[batch, len − width + 1, output]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [b, len, d] = x.dims();
        let k = self.width;
        let out = self.weight.dims()[1] / k;
        let windows = len + 1 - k;
        let products = x
            .reshape([b * len, d])
            .matmul(self.weight.val())
            .reshape([b, len, k * out]);
        let mut sum = self.bias.val().unsqueeze::<3>();
        for i in 0..k {
            sum = sum
                + products
                    .clone()
                    .slice([0..b, i..i + windows, i * out..(i + 1) * out]);
        }
        sum
    }
}

/// Layer normalisation over the last dimension (scale 1, shift 0).
pub fn layer_norm(g: &mut Generator, dim: usize, device: &Device) -> LayerNorm {
    let mut layer = LayerNormConfig::new(dim).init(device);
    layer.gamma = g.filled([dim], 1.0, device);
    layer.beta = Some(g.filled([dim], 0.0, device));
    layer
}

/// `x` (`[batch, len, d]`) with `pad` rows of zeros before and after each text.
pub fn pad_sequence(x: Tensor<3>, pad: usize) -> Tensor<3> {
    if pad == 0 {
        return x;
    }
    let [b, _, d] = x.dims();
    let zeros = Tensor::<3>::zeros([b, pad, d], &x.device());
    Tensor::cat(vec![zeros.clone(), x, zeros], 1)
}

/// A batch of encoded texts, padded on the right to the longest (at least `min_len`).
pub struct Batch {
    /// `[batch, len]` token ids, padding included.
    pub tokens: Tensor<2, Int>,
    /// Each text's number of tokens.
    pub lengths: Vec<usize>,
    /// The padded length.
    pub len: usize,
}

impl Batch {
    pub fn new(texts: &[&[i64]], min_len: usize, device: &Device) -> Batch {
        let len = texts
            .iter()
            .map(|t| t.len())
            .max()
            .unwrap_or(1)
            .max(min_len)
            .max(1);
        let mut flat = Vec::with_capacity(texts.len() * len);
        for t in texts {
            flat.extend_from_slice(t);
            flat.extend(std::iter::repeat_n(crate::vocab::PAD, len - t.len()));
        }
        Batch {
            tokens: Tensor::from_data(TensorData::new(flat, [texts.len(), len]), device),
            lengths: texts.iter().map(|t| t.len()).collect(),
            len,
        }
    }

    pub fn size(&self) -> usize {
        self.lengths.len()
    }

    /// Whether some text is shorter than the batch (masks are needed).
    pub fn padded(&self) -> bool {
        self.lengths.iter().any(|&l| l < self.len)
    }

    /// `[batch, len]`: true at padding.
    pub fn padding(&self, device: &Device) -> Tensor<2, Bool> {
        let m: Vec<bool> = self
            .lengths
            .iter()
            .flat_map(|&l| (0..self.len).map(move |t| t >= l))
            .collect();
        Tensor::from_data(TensorData::new(m, [self.size(), self.len]), device)
    }

    /// `[batch, len]`: 1 at tokens, 0 at padding.
    pub fn valid(&self, device: &Device) -> Tensor<2> {
        let m: Vec<f32> = self
            .lengths
            .iter()
            .flat_map(|&l| (0..self.len).map(move |t| if t < l { 1.0 } else { 0.0 }))
            .collect();
        Tensor::from_data(TensorData::new(m, [self.size(), self.len]), device)
    }
}

/// The mean over the tokens of `x` (`[batch, len, d]`), padding left out.
pub fn masked_mean(x: Tensor<3>, batch: &Batch) -> Tensor<2> {
    let device = x.device();
    let [b, _, d] = x.dims();
    if !batch.padded() {
        return x.mean_dim(1).reshape([b, d]);
    }
    let valid = batch.valid(&device).unsqueeze_dim::<3>(2);
    let counts: Vec<f32> = batch
        .lengths
        .iter()
        .map(|&l| 1.0 / l.max(1) as f32)
        .collect();
    let scale = Tensor::<2>::from_data(TensorData::new(counts, [b, 1]), &device);
    (x * valid).sum_dim(1).reshape([b, d]) * scale
}

/// The maximum over the tokens of `x` (`[batch, len, d]`), padding left out.
pub fn masked_max(x: Tensor<3>, batch: &Batch) -> Tensor<2> {
    let device = x.device();
    let [b, len, d] = x.dims();
    let x = if batch.padded() {
        let pad = batch
            .padding(&device)
            .unsqueeze_dim::<3>(2)
            .expand([b, len, d]);
        x.mask_fill(pad, -1e30)
    } else {
        x
    };
    x.max_dim(1).reshape([b, d])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn parameter_ids_are_numbered_in_build_order_and_weights_follow_the_seed() {
        let device = Device::flex();
        let mut a = Generator::new(7);
        let mut b = Generator::new(7);
        let la = linear(&mut a, 3, 2, &device);
        let lb = linear(&mut b, 3, 2, &device);
        assert_eq!(la.weight.id, ParamId::from(1));
        assert_eq!(la.bias.as_ref().unwrap().id, ParamId::from(2));
        assert_eq!(lb.weight.id, la.weight.id);
        assert_eq!(values(la.weight.val()), values(lb.weight.val()));
        let bound = 1.0 / 3f32.sqrt();
        assert!(values(la.weight.val()).iter().all(|w| w.abs() <= bound));
        let lc = linear(&mut Generator::new(8), 3, 2, &device);
        assert_ne!(values(la.weight.val()), values(lc.weight.val()));
    }

    #[test]
    fn dropout_masks_zero_about_p_and_scale_the_rest() {
        let device = Device::flex();
        let mut g = Generator::for_epoch(1, 3);
        let m = values(g.mask([100, 100], 0.25, &device));
        let zeros = m.iter().filter(|&&v| v == 0.0).count();
        assert!((2300..2700).contains(&zeros), "{zeros} of 10000 dropped");
        assert!(m.iter().all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6));
        let x = Tensor::<2>::ones([2, 2], &device);
        assert_eq!(values(dropout(x.clone(), 0.5, None)), vec![1.0; 4]);
        assert_eq!(values(dropout(x, 0.0, Some(&mut g))), vec![1.0; 4]);
    }

    #[test]
    fn pooling_leaves_padding_out() {
        let device = Device::flex();
        let batch = Batch::new(&[&[5, 6, 7], &[5]], 1, &device);
        assert_eq!(batch.len, 3);
        assert_eq!(
            values(batch.tokens.clone().float()),
            [5.0, 6.0, 7.0, 5.0, 0.0, 0.0]
        );
        // x[b, t, 0] = t + 1 (+ 10 in the second text), one feature.
        let x = Tensor::<3>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 11.0, 12.0, 13.0], [2, 3, 1]),
            &device,
        );
        assert_eq!(values(masked_mean(x.clone(), &batch)), [2.0, 11.0]);
        assert_eq!(values(masked_max(x, &batch)), [3.0, 11.0]);
    }
}
