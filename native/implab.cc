// implab_native: thin N-API bindings over OpenBLAS (cblas) and LAPACKE, plus
// implab's own sparse kernels (CSR times dense, sampled dense-dense product),
// which BLAS does not provide: see "sparse kernels" below.
//
// Every matrix crosses the boundary as a row-major Float64Array plus its
// dimensions; nothing is copied on the way in or out. Output arguments are
// written in place. Functions that wrap a LAPACK routine return its `info`
// (0 = success, > 0 = numerical failure such as a singular or indefinite
// matrix) so that the TypeScript side can raise LinalgError with a message of
// its own; bad arguments (wrong count, type, length) throw TypeError/RangeError.
//
// Layout trick used throughout. LAPACK is column-major. A row-major m x n
// buffer holding A is, byte for byte, the column-major n x m matrix A^T. So
// instead of letting LAPACKE transpose into a scratch copy (what its
// LAPACK_ROW_MAJOR path does), we call the LAPACK_COL_MAJOR `_work` variants
// on the buffer as it is and reinterpret the results:
//   - symmetric A (syevd, potrf): A^T = A, so the buffer already is A in
//     column-major form;
//   - gesdd: the SVD of A^T is V S U^T, so LAPACK's "VT" output is U^T in
//     column-major, i.e. exactly U in row-major, written straight into the
//     caller's U. Its "U" output is V in column-major, which is V^T read
//     row-major: one O(n k) transpose into the caller's V (cheap next to the
//     O(m n k) factorization);
//   - potrf: the column-major upper factor U (A = U^T U) lies in what row-major
//     calls the lower triangle and reads as L = U^T, so A = L L^T directly;
//   - gesv: dgetrf on the buffer factors A^T = P L U, hence A = U^T L^T P^T;
//     the two triangular solves run as row-major cblas_dtrsm calls on the
//     row-major right-hand side (no transposition of B), then X = P Z.
// The `_work` variants also skip LAPACKE's NaN scans and row-major copies; we
// do our own (cheaper, single pass) finiteness check where a NaN would make
// LAPACK loop or return garbage.

#include <napi.h>

#include <cblas.h>
#include <lapacke.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace {

// Returned instead of a LAPACK info when the input holds NaN or +-Inf.
constexpr int32_t kNotFinite = -1000;
// Bumped when the exported API changes, so the loader can detect a stale build.
constexpr int32_t kAbiVersion = 2;

// ---------------------------------------------------------------- arguments

// Parses a call's arguments; the first problem throws a JS error and every
// later accessor returns a harmless default, so callers check ok() once.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn, size_t count)
      : info_(info), env_(info.Env()), fn_(fn) {
    if (info.Length() != count) {
      Fail(true, "expected " + std::to_string(count) + " arguments, got " +
                     std::to_string(info.Length()));
    }
  }

  bool ok() const { return ok_; }
  Napi::Env env() const { return env_; }

  // A dimension: an integer in [0, 2^31 - 1] (LAPACK's 32-bit int).
  int32_t Dim(size_t i, const char* name) {
    if (!ok_) return 0;
    Napi::Value v = info_[i];
    if (!v.IsNumber()) return Fail(true, std::string(name) + ": expected a number"), 0;
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != std::floor(d) || d > static_cast<double>(std::numeric_limits<int32_t>::max())) {
      return Fail(false, std::string(name) + ": expected an integer in [0, 2^31 - 1], got " + Num(d)), 0;
    }
    return static_cast<int32_t>(d);
  }

  bool Flag(size_t i, const char* name) {
    if (!ok_) return false;
    Napi::Value v = info_[i];
    if (!v.IsBoolean()) return Fail(true, std::string(name) + ": expected a boolean"), false;
    return v.As<Napi::Boolean>().Value();
  }

  double Scalar(size_t i, const char* name) {
    if (!ok_) return 0;
    Napi::Value v = info_[i];
    if (!v.IsNumber()) return Fail(true, std::string(name) + ": expected a number"), 0;
    return v.As<Napi::Number>().DoubleValue();
  }

  // A Float64Array of exactly `len` elements; with `optional`, null/undefined
  // gives nullptr.
  double* F64(size_t i, const char* name, size_t len, bool optional = false) {
    if (!ok_) return nullptr;
    Napi::Value v = info_[i];
    if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Fail(true, std::string(name) + ": expected a Float64Array" + (optional ? " or null" : ""));
      return nullptr;
    }
    Napi::Float64Array arr = v.As<Napi::Float64Array>();
    if (arr.ElementLength() != len) {
      Fail(false, std::string(name) + ": expected length " + std::to_string(len) + ", got " +
                      std::to_string(arr.ElementLength()));
      return nullptr;
    }
    return arr.Data();  // napi_get_typedarray_info already adds byteOffset
  }

  // A Float64Array of any length (written to *len).
  double* F64Any(size_t i, const char* name, size_t* len) {
    *len = 0;
    if (!ok_) return nullptr;
    Napi::Value v = info_[i];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Fail(true, std::string(name) + ": expected a Float64Array");
      return nullptr;
    }
    Napi::Float64Array arr = v.As<Napi::Float64Array>();
    *len = arr.ElementLength();
    return arr.Data();
  }

  // An Int32Array of exactly `len` elements.
  const int32_t* I32(size_t i, const char* name, size_t len) {
    if (!ok_) return nullptr;
    Napi::Value v = info_[i];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      Fail(true, std::string(name) + ": expected an Int32Array");
      return nullptr;
    }
    Napi::Int32Array arr = v.As<Napi::Int32Array>();
    if (arr.ElementLength() != len) {
      Fail(false, std::string(name) + ": expected length " + std::to_string(len) + ", got " +
                      std::to_string(arr.ElementLength()));
      return nullptr;
    }
    return arr.Data();
  }

  void Fail(bool type_error, const std::string& msg) {
    if (!ok_) return;
    ok_ = false;
    std::string full = std::string(fn_) + ": " + msg;
    if (type_error) {
      Napi::TypeError::New(env_, full).ThrowAsJavaScriptException();
    } else {
      Napi::RangeError::New(env_, full).ThrowAsJavaScriptException();
    }
  }

 private:
  static std::string Num(double d) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }

  const Napi::CallbackInfo& info_;
  Napi::Env env_;
  const char* fn_;
  bool ok_ = true;
};

// --------------------------------------------------------------- utilities

// Heap scratch that reports allocation failure instead of aborting
// (the addon is built without C++ exceptions).
template <typename T>
class Scratch {
 public:
  explicit Scratch(size_t n) : n_(n), p_(n == 0 ? nullptr : static_cast<T*>(std::malloc(n * sizeof(T)))) {}
  ~Scratch() { std::free(p_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  bool ok() const { return n_ == 0 || p_ != nullptr; }
  T* get() { return p_; }

 private:
  size_t n_;
  T* p_;
};

Napi::Value OutOfMemory(Napi::Env env, const char* fn) {
  Napi::RangeError::New(env, std::string(fn) + ": cannot allocate LAPACK workspace").ThrowAsJavaScriptException();
  return env.Undefined();
}

size_t Mul(int32_t a, int32_t b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }

bool Overlaps(const double* p, size_t np, const double* q, size_t nq) {
  if (np == 0 || nq == 0 || p == nullptr || q == nullptr) return false;
  auto a0 = reinterpret_cast<uintptr_t>(p), a1 = a0 + np * sizeof(double);
  auto b0 = reinterpret_cast<uintptr_t>(q), b1 = b0 + nq * sizeof(double);
  return a0 < b1 && b0 < a1;
}

// True when no entry is NaN or +-Inf (exponent bits all ones). Branch-free so
// that it vectorizes.
bool AllFinite(const double* x, size_t n) {
  constexpr uint64_t kExp = 0x7ff0000000000000ULL;
  uint64_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t bits;
    std::memcpy(&bits, x + i, sizeof bits);
    bad |= static_cast<uint64_t>((bits & kExp) == kExp);
  }
  return bad == 0;
}

// dst (cols x rows, row-major) = src^T, src rows x cols row-major. Blocked.
void Transpose(const double* src, size_t rows, size_t cols, double* dst) {
  constexpr size_t B = 32;
  for (size_t i0 = 0; i0 < rows; i0 += B) {
    size_t i1 = i0 + B < rows ? i0 + B : rows;
    for (size_t j0 = 0; j0 < cols; j0 += B) {
      size_t j1 = j0 + B < cols ? j0 + B : cols;
      for (size_t i = i0; i < i1; i++) {
        for (size_t j = j0; j < j1; j++) dst[j * rows + i] = src[i * cols + j];
      }
    }
  }
}

// In-place transpose of a square n x n matrix, blocked.
void TransposeSquare(double* a, size_t n) {
  constexpr size_t B = 32;
  for (size_t i0 = 0; i0 < n; i0 += B) {
    size_t i1 = i0 + B < n ? i0 + B : n;
    for (size_t j0 = i0; j0 < n; j0 += B) {
      size_t j1 = j0 + B < n ? j0 + B : n;
      for (size_t i = i0; i < i1; i++) {
        for (size_t j = (j0 == i0 ? i + 1 : j0); j < j1; j++) {
          double t = a[i * n + j];
          a[i * n + j] = a[j * n + i];
          a[j * n + i] = t;
        }
      }
    }
  }
}

// ------------------------------------------------------------------- BLAS

// dgemm(transA, transB, m, n, k, alpha, a, b, beta, c): C <- alpha op(A) op(B) + beta C.
// Row-major, contiguous: A is stored k x m when transA else m x k, B is stored
// n x k when transB else k x n, C is m x n. With beta = 0, C's old contents
// (even NaN) are ignored. C may overlap A or B (they are copied first).
Napi::Value Dgemm(const Napi::CallbackInfo& info) {
  Args args(info, "dgemm", 10);
  bool ta = args.Flag(0, "transA");
  bool tb = args.Flag(1, "transB");
  int32_t m = args.Dim(2, "m"), n = args.Dim(3, "n"), k = args.Dim(4, "k");
  double alpha = args.Scalar(5, "alpha");
  const double* a = args.F64(6, "a", Mul(m, k));
  const double* b = args.F64(7, "b", Mul(k, n));
  double beta = args.Scalar(8, "beta");
  double* c = args.F64(9, "c", Mul(m, n));
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  if (m == 0 || n == 0) return env.Undefined();
  size_t mn = Mul(m, n);
  if (k == 0 || alpha == 0) {
    if (beta == 0) {
      std::memset(c, 0, mn * sizeof(double));
    } else if (beta != 1) {
      for (size_t i = 0; i < mn; i++) c[i] *= beta;
    }
    return env.Undefined();
  }
  Scratch<double> acopy(Overlaps(a, Mul(m, k), c, mn) ? Mul(m, k) : 0);
  Scratch<double> bcopy(Overlaps(b, Mul(k, n), c, mn) ? Mul(k, n) : 0);
  if (!acopy.ok() || !bcopy.ok()) return OutOfMemory(env, "dgemm");
  if (acopy.get()) a = static_cast<const double*>(std::memcpy(acopy.get(), a, Mul(m, k) * sizeof(double)));
  if (bcopy.get()) b = static_cast<const double*>(std::memcpy(bcopy.get(), b, Mul(k, n) * sizeof(double)));
  // beta = 0: BLAS semantics say C is not read, and OpenBLAS's beta-scaling
  // step stores zeros rather than multiplying (NaN * 0 would stay NaN);
  // test/native-backend.test.ts checks this with a NaN-filled C.
  const int lda = ta ? m : k, ldb = tb ? k : n;
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
              lda, b, ldb, beta, c, n);
  return env.Undefined();
}

// dgemv(trans, m, n, alpha, a, x, beta, y): y <- alpha op(A) x + beta y, A m x n
// row-major; x has n entries (m if trans), y has m (n if trans).
Napi::Value Dgemv(const Napi::CallbackInfo& info) {
  Args args(info, "dgemv", 8);
  bool tr = args.Flag(0, "trans");
  int32_t m = args.Dim(1, "m"), n = args.Dim(2, "n");
  double alpha = args.Scalar(3, "alpha");
  const double* a = args.F64(4, "a", Mul(m, n));
  size_t lenx = static_cast<size_t>(tr ? m : n), leny = static_cast<size_t>(tr ? n : m);
  const double* x = args.F64(5, "x", lenx);
  double beta = args.Scalar(6, "beta");
  double* y = args.F64(7, "y", leny);
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  if (leny == 0) return env.Undefined();
  if (beta == 0) {
    std::memset(y, 0, leny * sizeof(double));
  } else if (lenx == 0 || alpha == 0) {
    if (beta != 1) {
      for (size_t i = 0; i < leny; i++) y[i] *= beta;
    }
  }
  if (lenx == 0 || alpha == 0) return env.Undefined();
  Scratch<double> acopy(Overlaps(a, Mul(m, n), y, leny) ? Mul(m, n) : 0);
  Scratch<double> xcopy(Overlaps(x, lenx, y, leny) ? lenx : 0);
  if (!acopy.ok() || !xcopy.ok()) return OutOfMemory(env, "dgemv");
  if (acopy.get()) a = static_cast<const double*>(std::memcpy(acopy.get(), a, Mul(m, n) * sizeof(double)));
  if (xcopy.get()) x = static_cast<const double*>(std::memcpy(xcopy.get(), x, lenx * sizeof(double)));
  cblas_dgemv(CblasRowMajor, tr ? CblasTrans : CblasNoTrans, m, n, alpha, a, n, x, 1, beta, y, 1);
  return env.Undefined();
}

// daxpy(alpha, x, y): y <- alpha x + y. x and y have equal lengths.
Napi::Value Daxpy(const Napi::CallbackInfo& info) {
  Args args(info, "axpy", 3);
  double alpha = args.Scalar(0, "alpha");
  size_t n = 0;
  const double* x = args.F64Any(1, "x", &n);
  double* y = args.F64(2, "y", n);
  Napi::Env env = args.env();
  if (!args.ok() || n == 0) return env.Undefined();
  if (x != y && Overlaps(x, n, y, n)) {
    args.Fail(false, "y: must not partly overlap x");
    return env.Undefined();
  }
  // BLAS counts are 32-bit: go in chunks on (absurdly) long vectors.
  constexpr size_t kChunk = size_t{1} << 30;
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t len = n - i < kChunk ? n - i : kChunk;
    cblas_daxpy(static_cast<blasint>(len), alpha, x + i, 1, y + i, 1);
  }
  return env.Undefined();
}

// ddot(x, y) -> x . y. x and y have equal lengths.
Napi::Value Ddot(const Napi::CallbackInfo& info) {
  Args args(info, "dot", 2);
  size_t n = 0;
  const double* x = args.F64Any(0, "x", &n);
  const double* y = args.F64(1, "y", n);
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  constexpr size_t kChunk = size_t{1} << 30;
  double sum = 0;
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t len = n - i < kChunk ? n - i : kChunk;
    sum += cblas_ddot(static_cast<blasint>(len), x + i, 1, y + i, 1);
  }
  return Napi::Number::New(env, sum);
}

// ------------------------------------------------------- sparse kernels
//
// Plain loops over 4-double vectors, compiled once per instruction set (x86-64-v4
// = AVX-512, v3 = AVX2 + FMA, baseline x86-64) and picked at load time by the
// dynamic loader (GCC target_clones), so that one binary is portable and still
// vectorized where the CPU allows. The dense operands of every inner loop are
// contiguous rows. Measured on the 2-core development machine (AMD EPYC, AVX-512)
// through the Backend with 2000 entries of a 100 x 100 S and k = 100 (200k
// multiply-adds) at any alignment: S B ~11.5 us, S^T B ~13.5 us, the sampled
// product ~14.5 us in CSR order (~25 us in random order), against ~39 us for a
// 100^3 dgemm on one thread (~25 us on two). Wider (8-double) vectors measured no
// faster there.

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
#define IMPLAB_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define IMPLAB_CLONES
#endif

// Four doubles. Loads and stores go through memcpy (no alignment assumed); the
// compiler turns them into single vector moves in each clone.
typedef double V4 __attribute__((vector_size(32), aligned(8)));
__attribute__((always_inline)) inline void Load(V4& x, const double* p) { std::memcpy(&x, p, sizeof x); }
__attribute__((always_inline)) inline void Store(double* p, const V4& x) { std::memcpy(p, &x, sizeof x); }
__attribute__((always_inline)) inline double Sum(const V4& x) { return (x[0] + x[1]) + (x[2] + x[3]); }

// How many doubles p lies before a 32-byte boundary (0-3), when the rows of a
// row-major matrix with k columns starting at p all share p's alignment (k % 4 = 0,
// k > 0); else 0. The kernels below then run their 4-double loads from that column on, so
// that none straddles a cache line: loads that do measured ~25% slower (V8 aligns
// typed arrays to 16 bytes, so half of them start mid-vector).
size_t LeadToAlign(const double* p, size_t k) {
  if (k % 4 != 0 || k == 0) return 0;
  const uintptr_t mis = reinterpret_cast<uintptr_t>(p) % 32;
  if (mis % sizeof(double) != 0) return 0;
  return ((32 - mis) % 32) / sizeof(double);
}

// Columns [q0, q1) of output row o (q1 - q0 a multiple of 4) of alpha S B + beta out:
// blocks of 32 columns held in registers while the row's entries p0..p1 stream the
// matching blocks of B's rows (one load per multiply-add), then blocks of 4.
__attribute__((always_inline)) inline void SpmmColumns(double* __restrict o, size_t q0, size_t q1, size_t k,
                                                       double alpha, const int32_t* __restrict ci,
                                                       const double* __restrict v, int32_t p0, int32_t p1,
                                                       const double* __restrict b, double beta) {
  constexpr size_t kW = 8;  // V4 accumulators per block: 32 columns
  for (; q0 + 4 * kW <= q1; q0 += 4 * kW) {
    V4 acc[kW];
    for (size_t j = 0; j < kW; j++) {
      if (beta == 0) {
        acc[j] = V4{0, 0, 0, 0};
      } else {
        Load(acc[j], o + q0 + 4 * j);
        acc[j] *= beta;
      }
    }
    for (int32_t p = p0; p < p1; p++) {
      const double sv = alpha * v[p];
      const double* br = b + static_cast<size_t>(ci[p]) * k + q0;
      for (size_t j = 0; j < kW; j++) {
        V4 x;
        Load(x, br + 4 * j);
        acc[j] += sv * x;
      }
    }
    for (size_t j = 0; j < kW; j++) Store(o + q0 + 4 * j, acc[j]);
  }
  for (; q0 + 4 <= q1; q0 += 4) {
    V4 acc{0, 0, 0, 0};
    if (beta != 0) {
      Load(acc, o + q0);
      acc *= beta;
    }
    for (int32_t p = p0; p < p1; p++) {
      const double sv = alpha * v[p];
      V4 x;
      Load(x, b + static_cast<size_t>(ci[p]) * k + q0);
      acc += sv * x;
    }
    Store(o + q0, acc);
  }
}

// out (m x k) <- alpha S B + beta out; S m x n CSR, B n x k. beta = 0 ignores out.
// With B's rows aligned (or k % 4 != 0): SpmmColumns over the whole row, then the
// last k % 4 columns one at a time. Else the aligned middle [lead, k - 4 + lead) and
// the first and last four columns as unaligned vectors overlapping it: every column
// is computed by the same operations in the same order on either path, so the
// overlapping columns come out bit for bit equal; the head and tail read their old
// out values before the middle writes and are stored after it.
IMPLAB_CLONES void SpmmKernel(int32_t m, size_t k, double alpha, const int32_t* __restrict rp,
                              const int32_t* __restrict ci, const double* __restrict v,
                              const double* __restrict b, double beta, double* __restrict out) {
  const size_t lead = LeadToAlign(b, k);
  for (int32_t i = 0; i < m; i++) {
    double* __restrict o = out + static_cast<size_t>(i) * k;
    const int32_t p0 = rp[i], p1 = rp[i + 1];
    if (lead == 0) {
      const size_t k4 = k - k % 4;
      SpmmColumns(o, 0, k4, k, alpha, ci, v, p0, p1, b, beta);
      for (size_t q = k4; q < k; q++) {
        double acc = beta == 0 ? 0 : beta * o[q];
        for (int32_t p = p0; p < p1; p++) {
          const double sv = alpha * v[p];
          acc += sv * b[static_cast<size_t>(ci[p]) * k + q];
        }
        o[q] = acc;
      }
      continue;
    }
    V4 head{0, 0, 0, 0}, tail{0, 0, 0, 0};
    if (beta != 0) {
      Load(head, o);
      head *= beta;
      Load(tail, o + k - 4);
      tail *= beta;
    }
    for (int32_t p = p0; p < p1; p++) {
      const double sv = alpha * v[p];
      const double* br = b + static_cast<size_t>(ci[p]) * k;
      V4 x;
      Load(x, br);
      head += sv * x;
      Load(x, br + k - 4);
      tail += sv * x;
    }
    SpmmColumns(o, lead, k - 4 + lead, k, alpha, ci, v, p0, p1, b, beta);
    Store(o, head);
    Store(o + k - 4, tail);
  }
}

// The CSR form of S^T (n x m) from S (m x n CSR), by a counting sort on the column:
// tp (n + 1 offsets), tci (row indices, ascending within each row of S^T), tv.
void TransposeCsr(int32_t m, int32_t n, const int32_t* rp, const int32_t* ci, const double* v, int32_t* tp,
                  int32_t* tci, double* tv) {
  const int32_t nnz = rp[m];
  for (int32_t j = 0; j <= n; j++) tp[j] = 0;
  for (int32_t p = 0; p < nnz; p++) tp[ci[p] + 1]++;
  for (int32_t j = 0; j < n; j++) tp[j + 1] += tp[j];
  for (int32_t i = 0; i < m; i++) {
    for (int32_t p = rp[i]; p < rp[i + 1]; p++) {
      const int32_t d = tp[ci[p]]++;
      tci[d] = i;
      tv[d] = v[p];
    }
  }
  for (int32_t j = n; j > 0; j--) tp[j] = tp[j - 1];
  tp[0] = 0;
}

// out[i] <- left[rows[i], :] . rightT[cols[i], :], rows of length k. Runs of four
// entries on the same row (as in CSR order) share each load of the left row and
// give eight independent partial sums; other entries go one at a time with four.
// The vector loops start where right's rows are 32-byte aligned (LeadToAlign); the
// columns before that and the last ones are two unaligned vectors with the lanes
// the middle covers selected away (selected, not multiplied by 0, so that a NaN or
// infinity there cannot leak in), or, for k % 4 != 0, single columns at the end.
IMPLAB_CLONES void SampledKernel(size_t m, size_t k, const int32_t* __restrict rows, const int32_t* __restrict cols,
                                 const double* __restrict left, const double* __restrict right,
                                 double* __restrict out) {
  typedef int64_t M4 __attribute__((vector_size(32)));
  const size_t lead = LeadToAlign(right, k);
  const bool edges = lead != 0;
  const size_t qa = lead, qb = edges ? k - 4 + lead : k - k % 4;  // the vector middle [qa, qb)
  const M4 lane{0, 1, 2, 3};
  const M4 headLanes = lane < static_cast<int64_t>(lead);   // columns 0 .. lead-1
  const M4 tailLanes = lane >= static_cast<int64_t>(lead);  // columns k-4+lead .. k-1
  const V4 z{0, 0, 0, 0};
  size_t i = 0;
  while (i < m) {
    const int32_t r = rows[i];
    const double* a = left + static_cast<size_t>(r) * k;
    if (i + 4 <= m && rows[i + 1] == r && rows[i + 2] == r && rows[i + 3] == r) {
      const double* b0 = right + static_cast<size_t>(cols[i]) * k;
      const double* b1 = right + static_cast<size_t>(cols[i + 1]) * k;
      const double* b2 = right + static_cast<size_t>(cols[i + 2]) * k;
      const double* b3 = right + static_cast<size_t>(cols[i + 3]) * k;
      V4 s0 = z, s1 = z, s2 = z, s3 = z, t0 = z, t1 = z, t2 = z, t3 = z, x, y, w;
      if (edges) {
        Load(x, a);
        Load(y, a + k - 4);
        Load(w, b0), s0 += headLanes ? x * w : z;
        Load(w, b1), s1 += headLanes ? x * w : z;
        Load(w, b2), s2 += headLanes ? x * w : z;
        Load(w, b3), s3 += headLanes ? x * w : z;
        Load(w, b0 + k - 4), t0 += tailLanes ? y * w : z;
        Load(w, b1 + k - 4), t1 += tailLanes ? y * w : z;
        Load(w, b2 + k - 4), t2 += tailLanes ? y * w : z;
        Load(w, b3 + k - 4), t3 += tailLanes ? y * w : z;
      }
      size_t q = qa;
      for (; q + 8 <= qb; q += 8) {
        Load(x, a + q);
        Load(y, a + q + 4);
        Load(w, b0 + q), s0 += x * w;
        Load(w, b1 + q), s1 += x * w;
        Load(w, b2 + q), s2 += x * w;
        Load(w, b3 + q), s3 += x * w;
        Load(w, b0 + q + 4), t0 += y * w;
        Load(w, b1 + q + 4), t1 += y * w;
        Load(w, b2 + q + 4), t2 += y * w;
        Load(w, b3 + q + 4), t3 += y * w;
      }
      for (; q + 4 <= qb; q += 4) {
        Load(x, a + q);
        Load(w, b0 + q), s0 += x * w;
        Load(w, b1 + q), s1 += x * w;
        Load(w, b2 + q), s2 += x * w;
        Load(w, b3 + q), s3 += x * w;
      }
      double e0 = 0, e1 = 0, e2 = 0, e3 = 0;
      for (q = edges ? k : qb; q < k; q++) {
        e0 += a[q] * b0[q];
        e1 += a[q] * b1[q];
        e2 += a[q] * b2[q];
        e3 += a[q] * b3[q];
      }
      out[i] = Sum(s0 + t0) + e0;
      out[i + 1] = Sum(s1 + t1) + e1;
      out[i + 2] = Sum(s2 + t2) + e2;
      out[i + 3] = Sum(s3 + t3) + e3;
      i += 4;
    } else {
      const double* b = right + static_cast<size_t>(cols[i]) * k;
      V4 s0 = z, s1 = z, s2 = z, s3 = z, x, w;
      if (edges) {
        Load(x, a), Load(w, b), s2 += headLanes ? x * w : z;
        Load(x, a + k - 4), Load(w, b + k - 4), s3 += tailLanes ? x * w : z;
      }
      size_t q = qa;
      for (; q + 16 <= qb; q += 16) {
        Load(x, a + q), Load(w, b + q), s0 += x * w;
        Load(x, a + q + 4), Load(w, b + q + 4), s1 += x * w;
        Load(x, a + q + 8), Load(w, b + q + 8), s2 += x * w;
        Load(x, a + q + 12), Load(w, b + q + 12), s3 += x * w;
      }
      for (; q + 4 <= qb; q += 4) Load(x, a + q), Load(w, b + q), s0 += x * w;
      double e = 0;
      for (q = edges ? k : qb; q < k; q++) e += a[q] * b[q];
      out[i] = Sum((s0 + s1) + (s2 + s3)) + e;
      i++;
    }
  }
}

// Checks a CSR matrix (m x n): rowPtr starts at 0, never decreases and ends at
// nnz; every column index is in [0, n). False after throwing.
bool CheckCsr(Args& args, int32_t m, int32_t n, const int32_t* rp, const int32_t* ci, size_t nnz) {
  if (rp[0] != 0) return args.Fail(false, "s.rowPtr[0]: expected 0, got " + std::to_string(rp[0])), false;
  for (int32_t i = 0; i < m; i++) {
    if (rp[i + 1] < rp[i] || static_cast<size_t>(rp[i + 1]) > nnz) {
      return args.Fail(false, "s.rowPtr[" + std::to_string(i + 1) + "]: expected an offset in [" + std::to_string(rp[i]) +
                                  ", " + std::to_string(nnz) + "], got " + std::to_string(rp[i + 1])),
             false;
    }
  }
  if (static_cast<size_t>(rp[m]) != nnz) {
    return args.Fail(false, "s.rowPtr[" + std::to_string(m) + "]: expected " + std::to_string(nnz) +
                                " (the number of stored entries), got " + std::to_string(rp[m])),
           false;
  }
  for (size_t p = 0; p < nnz; p++) {
    if (static_cast<uint32_t>(ci[p]) >= static_cast<uint32_t>(n)) {
      return args.Fail(false, "s.colIdx[" + std::to_string(p) + "]: expected an index in [0, " + std::to_string(n) +
                                  "), got " + std::to_string(ci[p])),
             false;
    }
  }
  return true;
}

// dspmm(trans, m, n, k, alpha, rowPtr, colIdx, values, b, beta, out):
// out <- alpha op(S) B + beta out for S (m x n, CSR: rowPtr m + 1 offsets, colIdx
// and values nnz each). Not trans: B is n x k, out m x k; trans: B is m x k, out
// n x k. With beta = 0, out's old contents (even NaN) are ignored. out must not
// share storage with B or values. Error messages say "spmm" (the Backend name).
Napi::Value Dspmm(const Napi::CallbackInfo& info) {
  Args args(info, "spmm", 11);
  bool tr = args.Flag(0, "trans");
  int32_t m = args.Dim(1, "m"), n = args.Dim(2, "n"), k = args.Dim(3, "k");
  double alpha = args.Scalar(4, "alpha");
  const int32_t* rp = args.I32(5, "s.rowPtr", static_cast<size_t>(m) + 1);
  size_t nnz = 0;
  const double* v = args.F64Any(7, "s.values", &nnz);
  const int32_t* ci = args.I32(6, "s.colIdx", nnz);
  const size_t inRows = static_cast<size_t>(tr ? m : n), outRows = static_cast<size_t>(tr ? n : m);
  const double* b = args.F64(8, "b", inRows * static_cast<size_t>(k));
  double beta = args.Scalar(9, "beta");
  double* out = args.F64(10, "out", outRows * static_cast<size_t>(k));
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  const size_t lenOut = outRows * static_cast<size_t>(k);
  if (Overlaps(out, lenOut, b, inRows * static_cast<size_t>(k))) {
    args.Fail(false, "out: must not share storage with b");
    return env.Undefined();
  }
  if (Overlaps(out, lenOut, v, nnz)) {
    args.Fail(false, "out: must not share storage with s.values");
    return env.Undefined();
  }
  if (!CheckCsr(args, m, n, rp, ci, nnz)) return env.Undefined();
  if (lenOut == 0) return env.Undefined();
  if (tr) {
    // S^T B as (the CSR form of S^T) B: a counting sort of the entries by column costs
    // O(nnz + n) and lets the row kernel keep its output block in registers (scattering
    // into rows of out instead needs a load and a store per multiply-add: ~1.8x slower).
    Scratch<int32_t> tp(static_cast<size_t>(n) + 1), tci(nnz);
    Scratch<double> tv(nnz);
    if (!tp.ok() || !tci.ok() || !tv.ok()) return OutOfMemory(env, "spmm");
    TransposeCsr(m, n, rp, ci, v, tp.get(), tci.get(), tv.get());
    SpmmKernel(n, static_cast<size_t>(k), alpha, tp.get(), tci.get(), tv.get(), b, beta, out);
  } else {
    SpmmKernel(m, static_cast<size_t>(k), alpha, rp, ci, v, b, beta, out);
  }
  return env.Undefined();
}

// dsampled(nl, nr, k, rows, cols, left, rightT, out): out[i] <- left[rows[i], :] .
// rightT[cols[i], :] for left (nl x k) and rightT (nr x k): the entries (rows[i],
// cols[i]) of left rightT^T. rows, cols and out have one element per entry. Error
// messages say "sampledProduct" (the Backend name).
Napi::Value Dsampled(const Napi::CallbackInfo& info) {
  Args args(info, "sampledProduct", 8);
  int32_t nl = args.Dim(0, "nl"), nr = args.Dim(1, "nr"), k = args.Dim(2, "k");
  size_t m = 0;
  double* out = args.F64Any(7, "out", &m);
  const int32_t* rows = args.I32(3, "rows", m);
  const int32_t* cols = args.I32(4, "cols", m);
  const double* left = args.F64(5, "left", Mul(nl, k));
  const double* right = args.F64(6, "rightT", Mul(nr, k));
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  if (Overlaps(out, m, left, Mul(nl, k)) || Overlaps(out, m, right, Mul(nr, k))) {
    args.Fail(false, "out: must not share storage with left or rightT");
    return env.Undefined();
  }
  for (size_t i = 0; i < m; i++) {
    if (static_cast<uint32_t>(rows[i]) >= static_cast<uint32_t>(nl)) {
      args.Fail(false, "rows[" + std::to_string(i) + "]: expected an index in [0, " + std::to_string(nl) + "), got " +
                           std::to_string(rows[i]));
      return env.Undefined();
    }
    if (static_cast<uint32_t>(cols[i]) >= static_cast<uint32_t>(nr)) {
      args.Fail(false, "cols[" + std::to_string(i) + "]: expected an index in [0, " + std::to_string(nr) + "), got " +
                           std::to_string(cols[i]));
      return env.Undefined();
    }
  }
  SampledKernel(m, static_cast<size_t>(k), rows, cols, left, right, out);
  return env.Undefined();
}

// ----------------------------------------------------------------- LAPACK

// dsyevd(n, a, w, vectors) -> info. a (n x n, symmetric, destroyed) is the work
// buffer; w receives the eigenvalues ascending. With vectors, a is overwritten
// by the eigenvectors as COLUMNS of the row-major n x n matrix.
Napi::Value Dsyevd(const Napi::CallbackInfo& info) {
  Args args(info, "dsyevd", 4);
  int32_t n = args.Dim(0, "n");
  double* a = args.F64(1, "a", Mul(n, n));
  double* w = args.F64(2, "w", static_cast<size_t>(n));
  bool vectors = args.Flag(3, "vectors");
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  if (n == 0) return Napi::Number::New(env, 0);
  if (!AllFinite(a, Mul(n, n))) return Napi::Number::New(env, kNotFinite);
  // Symmetric: the row-major buffer is the same matrix in column-major order.
  // 'L' (column-major lower) is the row-major upper triangle.
  const char jobz = vectors ? 'V' : 'N';
  double wq = 0;
  lapack_int iwq = 0;
  lapack_int info_q = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, jobz, 'L', n, a, n, w, &wq, -1, &iwq, -1);
  if (info_q != 0) return Napi::Number::New(env, info_q);
  lapack_int lwork = static_cast<lapack_int>(wq) + 1, liwork = iwq > 1 ? iwq : 1;
  Scratch<double> work(static_cast<size_t>(lwork));
  Scratch<lapack_int> iwork(static_cast<size_t>(liwork));
  if (!work.ok() || !iwork.ok()) return OutOfMemory(env, "dsyevd");
  lapack_int res =
      LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, jobz, 'L', n, a, n, w, work.get(), lwork, iwork.get(), liwork);
  // Column-major columns are row-major rows: transpose so that eigenvectors
  // are the columns of the row-major result.
  if (res == 0 && vectors) TransposeSquare(a, static_cast<size_t>(n));
  return Napi::Number::New(env, res);
}

// dgesdd(m, n, a, s, u, v) -> info. a (m x n, destroyed), s (min(m, n)) receives
// singular values descending; u (m x k) and v (n x k), k = min(m, n), receive
// the thin factors (A = U diag(s) V^T), or are both null for values only.
Napi::Value Dgesdd(const Napi::CallbackInfo& info) {
  Args args(info, "dgesdd", 6);
  int32_t m = args.Dim(0, "m"), n = args.Dim(1, "n");
  int32_t k = m < n ? m : n;
  double* a = args.F64(2, "a", Mul(m, n));
  double* s = args.F64(3, "s", static_cast<size_t>(k));
  double* u = args.F64(4, "u", Mul(m, k), true);
  double* v = args.F64(5, "v", Mul(n, k), true);
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  if ((u == nullptr) != (v == nullptr)) {
    args.Fail(true, "u and v: expected both Float64Arrays (thin SVD) or both null (values only)");
    return env.Undefined();
  }
  if (k == 0) return Napi::Number::New(env, 0);
  if (!AllFinite(a, Mul(m, n))) return Napi::Number::New(env, kNotFinite);
  // The buffer is B = A^T in column-major (n x m, ld n). B = V S U^T, so
  // LAPACK's U output is V (n x k column-major, into scratch, transposed
  // below) and its VT output is U^T (k x m column-major, ld k), which is U
  // row-major (m x k): it goes straight into the caller's u.
  const bool thin = u != nullptr;
  const char jobz = thin ? 'S' : 'N';
  Scratch<double> vcol(thin ? Mul(n, k) : 0);
  if (!vcol.ok()) return OutOfMemory(env, "dgesdd");
  double* ub = thin ? vcol.get() : nullptr;
  double* vtb = thin ? u : nullptr;
  const lapack_int ldu = thin ? n : 1, ldvt = thin ? k : 1;
  Scratch<lapack_int> iwork(static_cast<size_t>(8) * static_cast<size_t>(k));
  if (!iwork.ok()) return OutOfMemory(env, "dgesdd");
  double wq = 0;
  lapack_int info_q =
      LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, n, m, a, n, s, ub, ldu, vtb, ldvt, &wq, -1, iwork.get());
  if (info_q != 0) return Napi::Number::New(env, info_q);
  // The workspace query returns a double; pad it against rounding of large sizes.
  lapack_int lwork = static_cast<lapack_int>(wq * (1 + 1e-9)) + 16;
  Scratch<double> work(static_cast<size_t>(lwork));
  if (!work.ok()) return OutOfMemory(env, "dgesdd");
  lapack_int res =
      LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, n, m, a, n, s, ub, ldu, vtb, ldvt, work.get(), lwork, iwork.get());
  // ub is V column-major (n x k), i.e. the row-major k x n matrix V^T.
  if (res == 0 && thin) Transpose(ub, static_cast<size_t>(k), static_cast<size_t>(n), v);
  return Napi::Number::New(env, res);
}

// dpotrf(n, a) -> info. a (n x n symmetric) is overwritten by L, lower
// triangular, A = L L^T, with its strict upper triangle set to zero. info > 0:
// the leading minor of that order is not positive definite.
Napi::Value Dpotrf(const Napi::CallbackInfo& info) {
  Args args(info, "dpotrf", 2);
  int32_t n = args.Dim(0, "n");
  double* a = args.F64(1, "a", Mul(n, n));
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  if (n == 0) return Napi::Number::New(env, 0);
  // Column-major 'U': A = U^T U with U in the column-major upper triangle,
  // which is the row-major lower triangle and reads as L = U^T.
  lapack_int res = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', n, a, n);
  if (res == 0) {
    const size_t nn = static_cast<size_t>(n);
    for (size_t i = 0; i + 1 < nn; i++) std::memset(a + i * nn + i + 1, 0, (nn - i - 1) * sizeof(double));
  }
  return Napi::Number::New(env, res);
}

// dpotrs(n, k, l, b) -> 0. Solves A X = B with A = L L^T; l (n x n, lower
// triangle read) from dpotrf; b (n x k) is overwritten by X. LAPACK's dpotrs is
// two triangular solves on a column-major B; cblas_dtrsm does the same two
// solves on our row-major B in place, with no transposition.
Napi::Value Dpotrs(const Napi::CallbackInfo& info) {
  Args args(info, "dpotrs", 4);
  int32_t n = args.Dim(0, "n"), k = args.Dim(1, "k");
  const double* l = args.F64(2, "l", Mul(n, n));
  double* b = args.F64(3, "b", Mul(n, k));
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  if (Overlaps(l, Mul(n, n), b, Mul(n, k))) {
    args.Fail(false, "b: must not share storage with l");
    return env.Undefined();
  }
  if (n == 0 || k == 0) return Napi::Number::New(env, 0);
  cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, k, 1.0, l, n, b, k);  // L Y = B
  cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, n, k, 1.0, l, n, b, k);    // L^T X = Y
  return Napi::Number::New(env, 0);
}

// dgesv(n, k, a, b) -> info. Solves A X = B by LU with partial pivoting; a
// (n x n) is destroyed, b (n x k) is overwritten by X. info > 0: U(info-1,
// info-1) is exactly zero (0-based), A is singular.
Napi::Value Dgesv(const Napi::CallbackInfo& info) {
  Args args(info, "dgesv", 4);
  int32_t n = args.Dim(0, "n"), k = args.Dim(1, "k");
  double* a = args.F64(2, "a", Mul(n, n));
  double* b = args.F64(3, "b", Mul(n, k));
  Napi::Env env = args.env();
  if (!args.ok()) return env.Undefined();
  if (Overlaps(a, Mul(n, n), b, Mul(n, k))) {
    args.Fail(false, "b: must not share storage with a");
    return env.Undefined();
  }
  if (n == 0) return Napi::Number::New(env, 0);
  Scratch<lapack_int> ipiv(static_cast<size_t>(n));
  if (!ipiv.ok()) return OutOfMemory(env, "dgesv");
  // The buffer is A^T column-major; dgetrf gives A^T = P L U, so
  // A = U^T L^T P^T. Read row-major, the factored buffer holds U^T in its
  // lower triangle (with the diagonal) and L^T (unit diagonal) strictly above.
  lapack_int res = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, n, n, a, n, ipiv.get());
  if (res != 0 || k == 0) return Napi::Number::New(env, res);
  cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, k, 1.0, a, n, b, k);  // U^T Y = B
  cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasUnit, n, k, 1.0, a, n, b, k);     // L^T Z = Y
  // P^T X = Z, so X = P Z with P = P_1 P_2 ... P_n (P_i swaps rows i and
  // ipiv[i]): apply the interchanges last to first.
  const size_t kk = static_cast<size_t>(k);
  for (int32_t i = n - 1; i >= 0; i--) {
    const int32_t p = ipiv.get()[i] - 1;
    if (p == i) continue;
    double* ri = b + static_cast<size_t>(i) * kk;
    double* rp = b + static_cast<size_t>(p) * kk;
    for (size_t j = 0; j < kk; j++) {
      double t = ri[j];
      ri[j] = rp[j];
      rp[j] = t;
    }
  }
  return Napi::Number::New(env, 0);
}

// ----------------------------------------------------------------- threads

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setNumThreads", 1);
  int32_t t = args.Dim(0, "threads");
  if (args.ok() && t < 1) args.Fail(false, "threads: expected an integer >= 1, got 0");
  if (!args.ok()) return args.env().Undefined();
  openblas_set_num_threads(t);
  return args.env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  Args args(info, "getNumThreads", 0);
  if (!args.ok()) return args.env().Undefined();
  return Napi::Number::New(args.env(), openblas_get_num_threads());
}

Napi::Value GetNumProcs(const Napi::CallbackInfo& info) {
  Args args(info, "getNumProcs", 0);
  if (!args.ok()) return args.env().Undefined();
  return Napi::Number::New(args.env(), openblas_get_num_procs());
}

Napi::Value GetConfig(const Napi::CallbackInfo& info) {
  Args args(info, "getConfig", 0);
  if (!args.ok()) return args.env().Undefined();
  const char* s = openblas_get_config();
  return Napi::String::New(args.env(), s ? s : "");
}

Napi::Value GetCorename(const Napi::CallbackInfo& info) {
  Args args(info, "getCorename", 0);
  if (!args.ok()) return args.env().Undefined();
  const char* s = openblas_get_corename();
  return Napi::String::New(args.env(), s ? s : "");
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("dgemm", Napi::Function::New(env, Dgemm, "dgemm"));
  exports.Set("dgemv", Napi::Function::New(env, Dgemv, "dgemv"));
  exports.Set("daxpy", Napi::Function::New(env, Daxpy, "daxpy"));
  exports.Set("ddot", Napi::Function::New(env, Ddot, "ddot"));
  exports.Set("dspmm", Napi::Function::New(env, Dspmm, "dspmm"));
  exports.Set("dsampled", Napi::Function::New(env, Dsampled, "dsampled"));
  exports.Set("dsyevd", Napi::Function::New(env, Dsyevd, "dsyevd"));
  exports.Set("dgesdd", Napi::Function::New(env, Dgesdd, "dgesdd"));
  exports.Set("dpotrf", Napi::Function::New(env, Dpotrf, "dpotrf"));
  exports.Set("dpotrs", Napi::Function::New(env, Dpotrs, "dpotrs"));
  exports.Set("dgesv", Napi::Function::New(env, Dgesv, "dgesv"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("getNumProcs", Napi::Function::New(env, GetNumProcs, "getNumProcs"));
  exports.Set("getConfig", Napi::Function::New(env, GetConfig, "getConfig"));
  exports.Set("getCorename", Napi::Function::New(env, GetCorename, "getCorename"));
  exports.Set("NOT_FINITE", Napi::Number::New(env, kNotFinite));
  exports.Set("ABI_VERSION", Napi::Number::New(env, kAbiVersion));
  return exports;
}

}  // namespace

NODE_API_MODULE(implab_native, Init)
