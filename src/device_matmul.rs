//! Matrix products of the dense layers on WebGPU, by three WGSL kernels of this crate instead of
//! burn's matmul.
//!
//! Why: without autotuning (off, see Cargo.toml), burn's fused matmul first tries a
//! cooperative-matrix kernel that WebGPU refuses and then runs cubek's `SimpleUnit` kernel, with
//! the elementwise work around it unfused. On Chromium's software adapter (SwiftShader) that
//! kernel ran a VAE step's products at about 0.16 GFLOP/s: 95% of a batch-128 step was two
//! blocks of shader code, and a step grew linearly with the batch (3 s at 128, 12.5 s at 512).
//! The kernels here, each thread holding a 4x4 block of the product in registers and reading
//! `vec4`s, ran the same shapes at 1.1-1.4 GFLOP/s there.
//!
//! One kernel per operand layout, so that the backward pass reads its transposed operands in
//! place: `c = a b` (forward), `c = a bᵀ` (the input's gradient, `dy wᵀ`) and `c = aᵀ b` (the
//! weight's gradient, `xᵀ dy`). A product whose shapes a kernel cannot take (a width not a
//! multiple of four where it reads `vec4`s, more than two dimensions) goes to burn's matmul.
//!
//! The operation is a burn backend extension: lazy under burn's fusion like any other operation,
//! and with a backward pass of its own under autodiff (two more products of this kind).

use burn::backend::fusion::custom::TensorSpec;
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, DispatchDevice, backend_extension};
use burn::tensor::{Device, Tensor};
use burn_autodiff::Autodiff;
use burn_autodiff::NodeId;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::CheckpointStrategy;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind, binary};
use burn_cubecl::CubeBackend;
use burn_cubecl::cubecl::ir::UIntKind;
use burn_cubecl::cubecl::ir::metadata::Info;
use burn_cubecl::cubecl::prelude::*;
use burn_cubecl::cubecl::server::KernelArguments;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use burn_std::{DType, Shape};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which operands a product reads transposed: `c = op(a) op(b)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Layout {
    /// `c[m, n] = a[m, k] b[k, n]`.
    Plain,
    /// `c[m, n] = a[m, k] b[n, k]ᵀ`.
    RightTransposed,
    /// `c[m, n] = a[k, m]ᵀ b[k, n]`.
    LeftTransposed,
}

impl Layout {
    /// `[m, k, n]` of the product of `a` and `b` (each `[rows, cols]` as stored).
    fn dims(self, a: &Shape, b: &Shape) -> [usize; 3] {
        match self {
            Layout::Plain => [a[0], a[1], b[1]],
            Layout::RightTransposed => [a[0], a[1], b[0]],
            Layout::LeftTransposed => [a[1], a[0], b[1]],
        }
    }

    /// Whether this crate's kernel takes `[m, k, n]`: the widths it reads as `vec4`s are
    /// multiples of four, and nothing is empty.
    fn fits(self, [m, k, n]: [usize; 3]) -> bool {
        let fours = match self {
            Layout::Plain => n % 4 == 0,
            Layout::RightTransposed => n % 4 == 0 && k % 4 == 0,
            Layout::LeftTransposed => n % 4 == 0 && m % 4 == 0,
        };
        fours && m > 0 && k > 0 && n > 0 && [m, k, n].iter().all(|&d| d <= u32::MAX as usize)
    }

    fn code(self) -> u8 {
        self as u8
    }

    fn of(code: u8) -> Layout {
        match code {
            0 => Layout::Plain,
            1 => Layout::RightTransposed,
            2 => Layout::LeftTransposed,
            _ => unreachable!("layout codes come from Layout::code"),
        }
    }
}

/// Output of a product as fusion sees it before running it: `[m, n]`, `a`'s element type.
fn product_spec(a: &TensorSpec, b: &TensorSpec, layout: &u8) -> TensorSpec {
    let [m, _, n] = Layout::of(*layout).dims(&a.shape, &b.shape);
    TensorSpec::new(Shape::new([m, n]), a.dtype)
}

/// The product as a backend operation. `layout` is a [`Layout`]'s code (the extension macro
/// passes plain integers to fusion).
#[backend_extension(Cube, Fusion, Autodiff)]
pub trait DeviceMatmul: Backend {
    #[fusion(meta = product_spec)]
    fn device_matmul(a: FloatTensor<Self>, b: FloatTensor<Self>, layout: u8) -> FloatTensor<Self>;
}

impl DeviceMatmul for CubeBackend {
    fn device_matmul(a: CubeTensor, b: CubeTensor, layout: u8) -> CubeTensor {
        let layout = Layout::of(layout);
        let dims = layout.dims(a.meta.shape(), b.meta.shape());
        let matrices = [&a, &b]
            .iter()
            .all(|t| t.meta.num_dims() == 2 && t.dtype == DType::F32);
        if matrices && layout.fits(dims) {
            return launch(layout, into_contiguous(a), into_contiguous(b), dims);
        }
        // burn's matmul on transposed views.
        let a = match layout {
            Layout::LeftTransposed => Self::float_transpose(a),
            _ => a,
        };
        let b = match layout {
            Layout::RightTransposed => Self::float_transpose(b),
            _ => b,
        };
        Self::float_matmul(a, b)
    }
}

/// The backward pass of `c = op(a) op(b)`, each gradient one more product of this kind:
/// `c = a b`: `da = dc bᵀ`, `db = aᵀ dc`; `c = a bᵀ`: `da = dc b`, `db = dcᵀ a`;
/// `c = aᵀ b`: `da = b dcᵀ`, `db = a dc`.
#[derive(Debug)]
struct ProductBackward;

impl<B: Backend + DeviceMatmul> Backward<B, 2> for ProductBackward {
    /// The operands kept (each only if the other's gradient is wanted) and the layout.
    type State = (Option<NodeId>, Option<NodeId>, u8);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let (a, b, layout) = ops.state;
        let a = a.map(|a| checkpointer.retrieve_node_output::<FloatTensor<B>>(a));
        let b = b.map(|b| checkpointer.retrieve_node_output::<FloatTensor<B>>(b));
        let (a, b) = (
            || a.expect("a kept for b's gradient"),
            || b.expect("b kept for a's gradient"),
        );
        let product = |x, y, layout: Layout| B::device_matmul(x, y, layout.code());
        binary::<B, _, _>(
            ops.parents,
            ops.node,
            grads,
            |dc| match Layout::of(layout) {
                Layout::Plain => product(dc, b(), Layout::RightTransposed),
                Layout::RightTransposed => product(dc, b(), Layout::Plain),
                Layout::LeftTransposed => product(b(), dc, Layout::RightTransposed),
            },
            |dc| match Layout::of(layout) {
                Layout::Plain => product(a(), dc, Layout::LeftTransposed),
                Layout::RightTransposed => product(dc, a(), Layout::LeftTransposed),
                Layout::LeftTransposed => product(a(), dc, Layout::Plain),
            },
        );
    }
}

impl<B: Backend + DeviceMatmul, C: CheckpointStrategy> DeviceMatmul for Autodiff<B, C> {
    fn device_matmul(a: FloatTensor<Self>, b: FloatTensor<Self>, layout: u8) -> FloatTensor<Self> {
        let (a_tracked, b_tracked) = (a.is_tracked(), b.is_tracked());
        match ProductBackward
            .prepare::<C>([a.node(), b.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                // Each operand is kept only if the other's gradient needs it.
                let a_state = b_tracked.then(|| prep.checkpoint(&a));
                let b_state = a_tracked.then(|| prep.checkpoint(&b));
                prep.finish(
                    (a_state, b_state, layout),
                    B::device_matmul(a.into_primitive(), b.into_primitive(), layout),
                )
            }
            OpsKind::UnTracked(prep) => prep.finish(B::device_matmul(
                a.into_primitive(),
                b.into_primitive(),
                layout,
            )),
        }
    }
}

/// `x @ w`, `[rows, k] @ [k, n] -> [rows, n]`, by this crate's kernels when `x` is on a cubecl
/// (WebGPU) device; `None` on any other device, for the caller to use burn's matmul.
pub fn product(x: &Tensor<2>, w: &Tensor<2>) -> Option<Tensor<2>> {
    product_of(x, w, Layout::Plain)
}

/// `op(x) op(w)` for `layout`, on a cubecl device; `None` elsewhere. For the tests.
#[doc(hidden)]
pub fn product_of(x: &Tensor<2>, w: &Tensor<2>, layout: Layout) -> Option<Tensor<2>> {
    if !on_cube(&x.device()) {
        return None;
    }
    let c = <burn::backend::Dispatch as DeviceMatmul>::device_matmul(
        x.clone().into_dispatch(),
        w.clone().into_dispatch(),
        layout.code(),
    );
    Some(Tensor::from_dispatch(c))
}

fn on_cube(device: &Device) -> bool {
    matches!(
        device.clone().inner().as_dispatch(),
        DispatchDevice::Cube(_)
    )
}

/// Kernels launched so far (this crate's, not burn's fallbacks), for the tests to tell them apart.
static LAUNCHES: AtomicUsize = AtomicUsize::new(0);

/// How many products this crate's kernels have run; the browser test checks which shapes take
/// them.
#[doc(hidden)]
pub fn kernel_launches() -> usize {
    LAUNCHES.load(Ordering::Relaxed)
}

/// Runs the kernel for `layout` on contiguous `a` and `b`; `[m, k, n]` fit it.
fn launch(layout: Layout, a: CubeTensor, b: CubeTensor, [m, k, n]: [usize; 3]) -> CubeTensor {
    let client = a.client.clone();
    let c = empty_device_contiguous_dtype(
        client.clone(),
        a.device.clone(),
        Shape::new([m, n]),
        DType::F32,
    );
    // [m, k, n, 0] as little-endian u32s (WebGPU's byte order).
    let mut dims = [0u8; 16];
    for (bytes, d) in dims.chunks_exact_mut(4).zip([m, k, n]) {
        bytes.copy_from_slice(&(d as u32).to_le_bytes());
    }
    let dims = client.create_from_slice(&dims);
    // One thread per 4x4 block of c: ceil(m / 4) row blocks by n / 4 column blocks.
    let threads = m.div_ceil(4) * (n / 4);
    let groups = threads.div_ceil(WORKGROUP as usize) as u32;
    // WebGPU caps one dispatch dimension at 65,535 workgroups: fold the rest into y.
    let (x, y) = if groups <= 65_535 {
        (groups, 1)
    } else {
        (65_535, groups.div_ceil(65_535))
    };
    client.launch(
        Box::new(ProductKernel { layout }),
        CubeCount::Static(x, y, 1),
        KernelArguments::new()
            .with_buffer(a.handle.binding())
            .with_buffer(b.handle.binding())
            .with_buffer(c.handle.clone().binding())
            .with_buffer(dims.binding()),
    );
    LAUNCHES.fetch_add(1, Ordering::Relaxed);
    c
}

const WORKGROUP: u32 = 64;

/// One of the three WGSL kernels, by layout.
struct ProductKernel {
    layout: Layout,
}

impl KernelMetadata for ProductKernel {
    fn id(&self) -> KernelId {
        KernelId::new::<Self>().info(self.layout)
    }

    fn address_type(&self) -> ElemType {
        ElemType::UInt(UIntKind::U32)
    }
}

impl CubeKernel for ProductKernel {
    fn define(&self) -> KernelDefinition {
        // A source kernel has no IR: the definition only keys the compilation cache.
        let settings = KernelSettings::new(
            CubeDim::new_1d(WORKGROUP).0,
            ExecutionMode::Checked,
            AddressType::U32,
        );
        KernelDefinition {
            body: Scope::root(settings.clone()),
            settings,
            info: Info::default(),
        }
    }

    fn source(&self) -> Option<PrecompiledSource> {
        let body = match self.layout {
            Layout::Plain => PLAIN,
            Layout::RightTransposed => RIGHT_TRANSPOSED,
            Layout::LeftTransposed => LEFT_TRANSPOSED,
        };
        let a = match self.layout {
            Layout::Plain => "f32",
            _ => "vec4<f32>",
        };
        Some(PrecompiledSource {
            source: format!("{}{body}", HEAD.replace("{a}", a)),
            entrypoint_name: "main".to_string(),
            lang: "wgsl",
        })
    }
}

/// Bindings of every kernel: `a`, `b` and `c` row-major, and `[m, k, n, _]`.
const HEAD: &str = "
@group(0) @binding(0) var<storage, read> a: array<{a}>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dims: array<u32, 4>;

// The thread's index over a dispatch folded into x and y (65,535 workgroups at most per side).
fn thread_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.y * groups.x * 64u + id.x;
}

// Writes a thread's block, rows `row..row + 4` by column quad `col`, leaving out rows past `rows`.
fn store_block(row: u32, rows: u32, col: u32, quads: u32, c0: vec4<f32>, c1: vec4<f32>, c2: vec4<f32>, c3: vec4<f32>) {
  c[row * quads + col] = c0;
  if (row + 1u < rows) { c[(row + 1u) * quads + col] = c1; }
  if (row + 2u < rows) { c[(row + 2u) * quads + col] = c2; }
  if (row + 3u < rows) { c[(row + 3u) * quads + col] = c3; }
}
";

/// `c[m, n] = a[m, k] b[k, n]`: a thread holds rows `row..row + 4` by columns `4 col..4 col + 4`.
/// Rows past `m` (the last block) read row `m - 1` and are not written.
const PLAIN: &str = "
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let rows = dims[0]; let depth = dims[1]; let quads = dims[2] / 4u;
  let t = thread_index(id, groups);
  let col = t % quads; let row = (t / quads) * 4u;
  if (row >= rows) { return; }
  let r1 = min(row + 1u, rows - 1u); let r2 = min(row + 2u, rows - 1u); let r3 = min(row + 3u, rows - 1u);
  var c0 = vec4<f32>(0.0); var c1 = vec4<f32>(0.0); var c2 = vec4<f32>(0.0); var c3 = vec4<f32>(0.0);
  for (var k = 0u; k < depth; k++) {
    let bv = b[k * quads + col];
    c0 += a[row * depth + k] * bv; c1 += a[r1 * depth + k] * bv;
    c2 += a[r2 * depth + k] * bv; c3 += a[r3 * depth + k] * bv;
  }
  store_block(row, rows, col, quads, c0, c1, c2, c3);
}
";

/// `c[m, n] = a[m, k] b[n, k]ᵀ`, `k` a multiple of four: both operands read as `vec4`s along `k`.
const RIGHT_TRANSPOSED: &str = "
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let rows = dims[0]; let steps = dims[1] / 4u; let quads = dims[2] / 4u;
  let t = thread_index(id, groups);
  let col = t % quads; let row = (t / quads) * 4u;
  if (row >= rows) { return; }
  let r1 = min(row + 1u, rows - 1u); let r2 = min(row + 2u, rows - 1u); let r3 = min(row + 3u, rows - 1u);
  let n0 = col * 4u;
  var c0 = vec4<f32>(0.0); var c1 = vec4<f32>(0.0); var c2 = vec4<f32>(0.0); var c3 = vec4<f32>(0.0);
  for (var k = 0u; k < steps; k++) {
    let b0 = b[n0 * steps + k]; let b1 = b[(n0 + 1u) * steps + k];
    let b2 = b[(n0 + 2u) * steps + k]; let b3 = b[(n0 + 3u) * steps + k];
    let a0 = a[row * steps + k]; let a1 = a[r1 * steps + k]; let a2 = a[r2 * steps + k]; let a3 = a[r3 * steps + k];
    c0 += vec4<f32>(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
    c1 += vec4<f32>(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
    c2 += vec4<f32>(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
    c3 += vec4<f32>(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
  }
  store_block(row, rows, col, quads, c0, c1, c2, c3);
}
";

/// `c[m, n] = a[k, m]ᵀ b[k, n]`, `m` a multiple of four: `a` read as `vec4`s along `m`.
const LEFT_TRANSPOSED: &str = "
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row_quads = dims[0] / 4u; let depth = dims[1]; let quads = dims[2] / 4u;
  let t = thread_index(id, groups);
  let col = t % quads; let rq = t / quads;
  if (rq >= row_quads) { return; }
  var c0 = vec4<f32>(0.0); var c1 = vec4<f32>(0.0); var c2 = vec4<f32>(0.0); var c3 = vec4<f32>(0.0);
  for (var k = 0u; k < depth; k++) {
    let av = a[k * row_quads + rq]; let bv = b[k * quads + col];
    c0 += av.x * bv; c1 += av.y * bv; c2 += av.z * bv; c3 += av.w * bv;
  }
  store_block(rq * 4u, row_quads * 4u, col, quads, c0, c1, c2, c3);
}
";
