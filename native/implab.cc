// implab_native: thin N-API bindings over OpenBLAS (cblas) and LAPACKE.
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
constexpr int32_t kAbiVersion = 1;

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
