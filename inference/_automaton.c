/* The correction cache's automaton hot path in C (optional; see automaton_index.py).
 *
 * Same automaton as the Python backend, built by the same numpy code: goto transitions
 * live in one open-addressing table (key = state * vocab + token, linear probing,
 * splitmix64 hash), failure links and resolved decisions in flat arrays. A step touches
 * one or two table slots and two array entries, so its cost barely depends on how many
 * contexts are stored (CPython dicts, by contrast, chase several pointers per lookup).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define EMPTY UINT64_MAX

typedef struct {
    PyObject_HEAD
    uint64_t *keys;
    uint32_t *vals;
    uint64_t mask;
    uint32_t *fail;
    int32_t *final;
    int32_t *final_row;
    int32_t *depth;
    Py_ssize_t n_nodes;
    uint64_t vocab;
    uint32_t state;
} Automaton;

static inline uint64_t mix(uint64_t x) {
    x ^= x >> 30; x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27; x *= 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static inline uint32_t lookup(const Automaton *a, uint64_t key) {
    uint64_t h = mix(key) & a->mask;
    for (;;) {
        uint64_t k = a->keys[h];
        if (k == key) return a->vals[h];
        if (k == EMPTY) return 0; /* the root is never a child: 0 means "no edge" */
        h = (h + 1) & a->mask;
    }
}

static inline uint32_t step(const Automaton *a, uint32_t s, uint64_t token) {
    for (;;) {
        uint32_t next = lookup(a, (uint64_t)s * a->vocab + token);
        if (next) return next;
        if (s == 0) return 0;
        s = a->fail[s];
    }
}

static int get_i64(PyObject *obj, Py_buffer *view, Py_ssize_t expect, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->itemsize != 8 || (view->format && strcmp(view->format, "q") && strcmp(view->format, "l"))) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous int64 array", what);
        PyBuffer_Release(view);
        return -1;
    }
    if (expect >= 0 && view->len / 8 != expect) {
        PyErr_Format(PyExc_ValueError, "%s has %zd items, expected %zd", what, view->len / 8, expect);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static void Automaton_dealloc(Automaton *self) {
    PyMem_Free(self->keys); PyMem_Free(self->vals); PyMem_Free(self->fail);
    PyMem_Free(self->final); PyMem_Free(self->final_row); PyMem_Free(self->depth);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Automaton(edge_keys, edge_children, fail, final, final_row, depth, vocab) */
static int Automaton_init(Automaton *self, PyObject *args, PyObject *kwds) {
    PyObject *o_keys, *o_children, *o_fail, *o_final, *o_row, *o_depth;
    unsigned long long vocab;
    if (!PyArg_ParseTuple(args, "OOOOOOK", &o_keys, &o_children, &o_fail, &o_final, &o_row, &o_depth, &vocab))
        return -1;
    Py_buffer b_keys, b_children, b_fail, b_final, b_row, b_depth;
    if (get_i64(o_fail, &b_fail, -1, "fail") < 0) return -1;
    Py_ssize_t n = b_fail.len / 8;
    if (n < 1 || n > (Py_ssize_t)UINT32_MAX - 1) {
        PyBuffer_Release(&b_fail);
        PyErr_SetString(PyExc_ValueError, "node count out of range");
        return -1;
    }
    if (get_i64(o_keys, &b_keys, n - 1, "edge_keys") < 0) { PyBuffer_Release(&b_fail); return -1; }
    if (get_i64(o_children, &b_children, n - 1, "edge_children") < 0) goto fail1;
    if (get_i64(o_final, &b_final, n, "final") < 0) goto fail2;
    if (get_i64(o_row, &b_row, n, "final_row") < 0) goto fail3;
    if (get_i64(o_depth, &b_depth, n, "depth") < 0) goto fail4;
    {
        uint64_t cap = 2;
        while (cap < (uint64_t)(n - 1) * 2) cap <<= 1;
        self->keys = PyMem_Malloc(cap * sizeof(uint64_t));
        self->vals = PyMem_Malloc(cap * sizeof(uint32_t));
        self->fail = PyMem_Malloc(n * sizeof(uint32_t));
        self->final = PyMem_Malloc(n * sizeof(int32_t));
        self->final_row = PyMem_Malloc(n * sizeof(int32_t));
        self->depth = PyMem_Malloc(n * sizeof(int32_t));
        if (!self->keys || !self->vals || !self->fail || !self->final || !self->final_row || !self->depth) {
            PyErr_NoMemory();
            goto fail5;
        }
        memset(self->keys, 0xFF, cap * sizeof(uint64_t));
        self->mask = cap - 1;
        self->vocab = vocab;
        self->n_nodes = n;
        const int64_t *keys = b_keys.buf, *children = b_children.buf, *fail = b_fail.buf;
        const int64_t *final = b_final.buf, *row = b_row.buf, *depth = b_depth.buf;
        for (Py_ssize_t i = 0; i < n - 1; i++) {
            uint64_t key = (uint64_t)keys[i];
            if (key == EMPTY || children[i] <= 0 || children[i] >= n) {
                PyErr_SetString(PyExc_ValueError, "edge key or child out of range");
                goto fail5;
            }
            uint64_t h = mix(key) & self->mask;
            while (self->keys[h] != EMPTY) h = (h + 1) & self->mask;
            self->keys[h] = key;
            self->vals[h] = (uint32_t)children[i];
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            if (fail[i] < 0 || fail[i] >= n) {
                PyErr_SetString(PyExc_ValueError, "failure link out of range");
                goto fail5;
            }
            self->fail[i] = (uint32_t)fail[i];
            self->final[i] = (int32_t)final[i];
            self->final_row[i] = (int32_t)row[i];
            self->depth[i] = (int32_t)depth[i];
        }
    }
    self->state = 0;
    PyBuffer_Release(&b_keys); PyBuffer_Release(&b_children); PyBuffer_Release(&b_fail);
    PyBuffer_Release(&b_final); PyBuffer_Release(&b_row); PyBuffer_Release(&b_depth);
    return 0;
fail5: PyBuffer_Release(&b_depth);
fail4: PyBuffer_Release(&b_row);
fail3: PyBuffer_Release(&b_final);
fail2: PyBuffer_Release(&b_children);
fail1: PyBuffer_Release(&b_keys); PyBuffer_Release(&b_fail);
    return -1;
}

static int token_arg(PyObject *arg, uint64_t *out) {
    long long t = PyLong_AsLongLong(arg);
    if (t == -1 && PyErr_Occurred()) return -1;
    *out = (uint64_t)(t < 0 ? 0 : t);
    return 0;
}

static PyObject *Automaton_advance(Automaton *self, PyObject *arg) {
    uint64_t t;
    if (token_arg(arg, &t) < 0) return NULL;
    self->state = step(self, self->state, t);
    Py_RETURN_NONE;
}

static PyObject *Automaton_feed(Automaton *self, PyObject *arg) {
    PyObject *it = PyObject_GetIter(arg), *item;
    if (!it) return NULL;
    uint32_t s = self->state;
    while ((item = PyIter_Next(it))) {
        uint64_t t;
        int bad = token_arg(item, &t);
        Py_DECREF(item);
        if (bad < 0) { Py_DECREF(it); return NULL; }
        s = step(self, s, t);
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return NULL;
    self->state = s;
    Py_RETURN_NONE;
}

static PyObject *Automaton_state_after(Automaton *self, PyObject *arg) {
    uint32_t saved = self->state;
    self->state = 0;
    PyObject *r = Automaton_feed(self, arg);
    uint32_t s = self->state;
    self->state = saved;
    if (!r) return NULL;
    Py_DECREF(r);
    return PyLong_FromUnsignedLong(s);
}

static int state_arg(Automaton *self, PyObject *const *args, Py_ssize_t nargs, uint32_t *s) {
    *s = self->state;
    if (nargs > 0 && args[0] != Py_None) {
        long long v = PyLong_AsLongLong(args[0]);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v < 0 || v >= self->n_nodes) { PyErr_SetString(PyExc_IndexError, "state out of range"); return -1; }
        *s = (uint32_t)v;
    }
    return 0;
}

static PyObject *Automaton_decision(Automaton *self, PyObject *const *args, Py_ssize_t nargs) {
    uint32_t s;
    if (state_arg(self, args, nargs, &s) < 0) return NULL;
    int32_t d = self->final[s];
    return PyLong_FromLong(d >= 0 ? d : -1);
}

static PyObject *Automaton_matched_row(Automaton *self, PyObject *const *args, Py_ssize_t nargs) {
    uint32_t s;
    if (state_arg(self, args, nargs, &s) < 0) return NULL;
    return PyLong_FromLong(self->final_row[s]);
}

static PyObject *Automaton_reset(Automaton *self, PyObject *unused) {
    self->state = 0;
    Py_RETURN_NONE;
}

static PyObject *Automaton_get_state(Automaton *self, void *c) { return PyLong_FromUnsignedLong(self->state); }
static PyObject *Automaton_get_depth(Automaton *self, void *c) { return PyLong_FromLong(self->depth[self->state]); }
static PyObject *Automaton_get_nodes(Automaton *self, void *c) { return PyLong_FromSsize_t(self->n_nodes); }

static PyMethodDef Automaton_methods[] = {
    {"advance", (PyCFunction)Automaton_advance, METH_O, "append one token"},
    {"feed", (PyCFunction)Automaton_feed, METH_O, "append tokens"},
    {"state_after", (PyCFunction)Automaton_state_after, METH_O, "state reached from the root by tokens"},
    {"decision", (PyCFunction)(void (*)(void))Automaton_decision, METH_FASTCALL, "token to serve or -1"},
    {"matched_row", (PyCFunction)(void (*)(void))Automaton_matched_row, METH_FASTCALL, "matched context row or -1"},
    {"reset", (PyCFunction)Automaton_reset, METH_NOARGS, "back to the root"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Automaton_getset[] = {
    {"state", (getter)Automaton_get_state, NULL, "current state", NULL},
    {"match_depth", (getter)Automaton_get_depth, NULL, "depth of the current state", NULL},
    {"nodes", (getter)Automaton_get_nodes, NULL, "number of states", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject AutomatonType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "inference._automaton.Automaton",
    .tp_basicsize = sizeof(Automaton),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Aho-Corasick automaton over correction-cache contexts (C hot path)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Automaton_init,
    .tp_dealloc = (destructor)Automaton_dealloc,
    .tp_methods = Automaton_methods,
    .tp_getset = Automaton_getset,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_automaton", "C hot path of the automaton index", -1, NULL};

PyMODINIT_FUNC PyInit__automaton(void) {
    if (PyType_Ready(&AutomatonType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&AutomatonType);
    if (PyModule_AddObject(m, "Automaton", (PyObject *)&AutomatonType) < 0) {
        Py_DECREF(&AutomatonType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
