/* The compiled engine's character-by-character work, in C: the passes of alerts.patterns._text.Text that
 * read every character of every message (plain forms, digit runs, long words, the trigger-keyword
 * automaton) and the entropy of candidate tokens (_common.shannon_entropy).
 *
 * Part of the compiled engine only (alerts.native builds it beside the mypyc extension); the pure-Python
 * engine runs the Python versions, and tests/unit/detector/test_textscan.py holds each C function to the
 * same answers (the entropy to the same bits) on every corpus and on arbitrary Unicode text;
 * test_textscan_sanitized.py runs them under AddressSanitizer and UBSan. Each is one forward walk over its
 * string with no allocation but the results: linear in the text by construction.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* _text._DIGITS: the digits of the scripts people write numbers in. */
static int
is_digit(Py_UCS4 ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 0x0660 && ch <= 0x0669) || (ch >= 0x06F0 && ch <= 0x06F9) ||
           (ch >= 0x0966 && ch <= 0x096F) || (ch >= 0x09E6 && ch <= 0x09EF) || (ch >= 0x0E50 && ch <= 0x0E59) ||
           (ch >= 0xFF10 && ch <= 0xFF19);
}

/* The separators a digit run may hold: _text._NUMERIC's second class, less the digits. */
static int
is_separator(Py_UCS4 ch)
{
    return ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == ')' || ch == 0x00A0;
}

/* _common._SPACELESS: scripts written without spaces between words. */
static int
is_spaceless(Py_UCS4 ch)
{
    return (ch >= 0x0E00 && ch <= 0x0EFF) || (ch >= 0x1000 && ch <= 0x109F) || (ch >= 0x1780 && ch <= 0x17FF) ||
           (ch >= 0x2E80 && ch <= 0xFAFF) || (ch >= 0xFE30 && ch <= 0xFE4F) || (ch >= 0xFF00 && ch <= 0xFFEF) ||
           (ch >= 0x20000 && ch <= 0x3FFFF);
}

/* _common.joins_token: a word character (str.isalnum or "_", as the regex engine's \w) of a script that
 * separates its words. */
static int
joins_token(Py_UCS4 ch)
{
    return (Py_UNICODE_ISALNUM(ch) || ch == '_') && !is_spaceless(ch);
}

static int
append_steal(PyObject *list, PyObject *item)
{
    if (item == NULL) {
        return -1;
    }
    int status = PyList_Append(list, item);
    Py_DECREF(item);
    return status;
}

/* A str argument's characters: 0, or -1 with TypeError set when ``arg`` is not a str. */
static int
read_str(PyObject *arg, const char *function, int *kind, const void **data, Py_ssize_t *length)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "%s() expects a str, not %.100s", function, Py_TYPE(arg)->tp_name);
        return -1;
    }
    if (PyUnicode_READY(arg) < 0) {
        return -1;
    }
    *kind = PyUnicode_KIND(arg);
    *data = PyUnicode_DATA(arg);
    *length = PyUnicode_GET_LENGTH(arg);
    return 0;
}

/* --- Keywords: an Aho-Corasick automaton over the code points of the lower-cased text -------------------
 *
 * Every trigger word of _text._WORD_FLAGS in one pass, overlapping matches included, as ahocorasick_rs
 * finds them for the Python engine, without its per-call costs (the str's UTF-8 copy, its byte offsets
 * mapped back to characters, the GIL released and taken again), which on a chat message of 80 characters
 * are most of the work. The automaton is a full DFA over the characters the words hold (every other
 * character is one class): one table lookup per character of text.
 */

#define AUTOMATON_CAPSULE "alerts._textscan.Automaton"

typedef struct {
    Py_ssize_t nstates;
    Py_ssize_t nclasses;
    uint16_t latin[256];   /* class of each code point below 256 (0: no keyword holds it) */
    Py_ssize_t nwide;
    Py_UCS4 *wide;         /* sorted code points of 256 and above that keywords hold ... */
    uint16_t *wide_class;  /* ... and their classes */
    int32_t *delta;        /* nstates * nclasses: the next state */
    int32_t *word;         /* the keyword ending at a state, or -1 */
    int32_t *output;       /* the nearest shorter state on the failure chain where a keyword ends, or 0 */
    Py_ssize_t nwords;
    Py_ssize_t *length;    /* each keyword's length */
} Automaton;

static void
automaton_free(Automaton *a)
{
    if (a == NULL) {
        return;
    }
    PyMem_Free(a->wide);
    PyMem_Free(a->wide_class);
    PyMem_Free(a->delta);
    PyMem_Free(a->word);
    PyMem_Free(a->output);
    PyMem_Free(a->length);
    PyMem_Free(a);
}

static void
automaton_capsule_free(PyObject *capsule)
{
    automaton_free(PyCapsule_GetPointer(capsule, AUTOMATON_CAPSULE));
}

static inline Py_ssize_t
class_of(const Automaton *a, Py_UCS4 ch)
{
    if (ch < 256) {
        return a->latin[ch];
    }
    Py_ssize_t lo = 0, hi = a->nwide;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (a->wide[mid] < ch) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return lo < a->nwide && a->wide[lo] == ch ? a->wide_class[lo] : 0;
}

static int
compare_ucs4(const void *x, const void *y)
{
    Py_UCS4 a = *(const Py_UCS4 *)x, b = *(const Py_UCS4 *)y;
    return (a > b) - (a < b);
}

PyDoc_STRVAR(keyword_automaton_doc,
             "keyword_automaton(words, /)\n--\n\n"
             "An automaton finding every one of ``words`` (a list of non-empty str), for find_keywords.");

static PyObject *
keyword_automaton(PyObject *module, PyObject *words)
{
    if (!PyList_Check(words)) {
        PyErr_SetString(PyExc_TypeError, "keyword_automaton() expects a list of str");
        return NULL;
    }
    const Py_ssize_t nwords = PyList_GET_SIZE(words);
    Py_ssize_t total = 0;
    for (Py_ssize_t w = 0; w < nwords; w++) {
        PyObject *word = PyList_GET_ITEM(words, w);
        if (!PyUnicode_Check(word) || PyUnicode_READY(word) < 0 || PyUnicode_GET_LENGTH(word) == 0) {
            PyErr_SetString(PyExc_ValueError, "keyword_automaton() expects non-empty str words");
            return NULL;
        }
        total += PyUnicode_GET_LENGTH(word);
    }
    if (total + 1 > INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "too many keyword characters");
        return NULL;
    }
    Automaton *a = PyMem_Calloc(1, sizeof(Automaton));
    int32_t *fail = NULL, *queue = NULL;
    if (a == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    /* The alphabet: every distinct character of the words, numbered from 1. */
    a->wide = PyMem_Calloc(total + 1, sizeof(Py_UCS4));
    a->wide_class = PyMem_Calloc(total + 1, sizeof(uint16_t));
    a->length = PyMem_Calloc(nwords + 1, sizeof(Py_ssize_t));
    if (a->wide == NULL || a->wide_class == NULL || a->length == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t nclasses = 1, nwide = 0;
    for (Py_ssize_t w = 0; w < nwords; w++) {
        PyObject *word = PyList_GET_ITEM(words, w);
        const int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(word); i++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            if (ch < 256) {
                if (a->latin[ch] == 0) {
                    a->latin[ch] = (uint16_t)nclasses++;
                }
            }
            else {
                a->wide[nwide++] = ch;
            }
        }
    }
    qsort(a->wide, nwide, sizeof(Py_UCS4), compare_ucs4);
    Py_ssize_t unique = 0;
    for (Py_ssize_t i = 0; i < nwide; i++) {
        if (unique == 0 || a->wide[unique - 1] != a->wide[i]) {
            a->wide[unique] = a->wide[i];
            a->wide_class[unique] = (uint16_t)nclasses++;
            unique++;
        }
    }
    a->nwide = unique;
    if (nclasses > UINT16_MAX) {
        PyErr_SetString(PyExc_ValueError, "too many distinct keyword characters");
        goto fail;
    }
    a->nclasses = nclasses;
    /* The trie: state 0 is the root; -1 marks a missing edge until the failure links fill it in. */
    const Py_ssize_t maxstates = total + 1;
    a->delta = PyMem_Malloc(maxstates * nclasses * sizeof(int32_t));
    a->word = PyMem_Malloc(maxstates * sizeof(int32_t));
    a->output = PyMem_Calloc(maxstates, sizeof(int32_t));
    fail = PyMem_Calloc(maxstates, sizeof(int32_t));
    queue = PyMem_Malloc(maxstates * sizeof(int32_t));
    if (a->delta == NULL || a->word == NULL || a->output == NULL || fail == NULL || queue == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < maxstates * nclasses; i++) {
        a->delta[i] = -1;
    }
    for (Py_ssize_t i = 0; i < maxstates; i++) {
        a->word[i] = -1;
    }
    Py_ssize_t nstates = 1;
    for (Py_ssize_t w = 0; w < nwords; w++) {
        PyObject *word = PyList_GET_ITEM(words, w);
        const int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        int32_t state = 0;
        for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(word); i++) {
            int32_t *edge = &a->delta[state * nclasses + class_of(a, PyUnicode_READ(kind, data, i))];
            if (*edge < 0) {
                *edge = (int32_t)nstates++;
            }
            state = *edge;
        }
        if (a->word[state] < 0) { /* a repeated word is reported once, under its first index */
            a->word[state] = (int32_t)w;
        }
        a->length[w] = PyUnicode_GET_LENGTH(word);
    }
    a->nstates = nstates;
    a->nwords = nwords;
    /* Breadth first: each state's failure link is the longest proper suffix that is a trie state, its
     * missing edges are its failure state's, and its output link the nearest state on that chain where a
     * word ends. The class 0 (characters no word holds) always leads back to the root. */
    Py_ssize_t head = 0, tail = 0;
    for (Py_ssize_t c = 0; c < nclasses; c++) {
        int32_t next = a->delta[c];
        if (next < 0 || c == 0) {
            a->delta[c] = 0;
        }
        else {
            fail[next] = 0;
            queue[tail++] = next;
        }
    }
    while (head < tail) {
        int32_t state = queue[head++];
        int32_t f = fail[state];
        a->output[state] = a->word[f] >= 0 ? f : a->output[f];
        for (Py_ssize_t c = 0; c < nclasses; c++) {
            int32_t *edge = &a->delta[state * nclasses + c];
            if (*edge < 0 || c == 0) {
                *edge = a->delta[f * nclasses + c];
            }
            else {
                fail[*edge] = a->delta[f * nclasses + c];
                queue[tail++] = *edge;
            }
        }
    }
    PyMem_Free(fail);
    PyMem_Free(queue);
    PyObject *capsule = PyCapsule_New(a, AUTOMATON_CAPSULE, automaton_capsule_free);
    if (capsule == NULL) {
        automaton_free(a);
    }
    return capsule;
fail:
    PyMem_Free(fail);
    PyMem_Free(queue);
    automaton_free(a);
    return NULL;
}

PyDoc_STRVAR(find_keywords_doc,
             "find_keywords(automaton, text, /)\n--\n\n"
             "(word index, start, end) of every keyword in ``text``, overlapping ones included, ordered by "
             "end and, at one end, longest first.");

static PyObject *
find_keywords(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "find_keywords() takes an automaton and a str");
        return NULL;
    }
    const Automaton *a = PyCapsule_GetPointer(args[0], AUTOMATON_CAPSULE);
    if (a == NULL) {
        return NULL;
    }
    int kind;
    const void *data;
    Py_ssize_t n;
    if (read_str(args[1], "find_keywords", &kind, &data, &n) < 0) {
        return NULL;
    }
    const Py_ssize_t nclasses = a->nclasses;
    PyObject *found = PyList_New(0);
    if (found == NULL) {
        return NULL;
    }
    int32_t state = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        state = a->delta[state * nclasses + class_of(a, PyUnicode_READ(kind, data, i))];
        for (int32_t s = a->word[state] >= 0 ? state : a->output[state]; s != 0; s = a->output[s]) {
            const int32_t w = a->word[s];
            if (append_steal(found, Py_BuildValue("(nnn)", (Py_ssize_t)w, i + 1 - a->length[w], i + 1)) < 0) {
                Py_DECREF(found);
                return NULL;
            }
        }
    }
    return found;
}

/* --- Entropy ------------------------------------------------------------------------------------------- */

/* math.fsum's exactly rounded sum (Shewchuk's algorithm as CPython writes it, Modules/mathmodule.c) of
 * finite non-negative terms: an exactly rounded sum is one number, so this gives the same bits as fsum. */
static double
exact_sum(const double *terms, Py_ssize_t count)
{
    double partials[160];
    Py_ssize_t n = 0;
    double x, y, t, hi, lo = 0.0, yr;
    for (Py_ssize_t k = 0; k < count; k++) {
        x = terms[k];
        Py_ssize_t i = 0;
        for (Py_ssize_t j = 0; j < n; j++) {
            y = partials[j];
            if (fabs(x) < fabs(y)) {
                t = x;
                x = y;
                y = t;
            }
            hi = x + y;
            yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) {
                partials[i++] = lo;
            }
            x = hi;
        }
        n = i;
        if (x != 0.0) {
            partials[n++] = x;
        }
    }
    hi = 0.0;
    if (n > 0) {
        hi = partials[--n];
        while (n > 0) {
            x = hi;
            y = partials[--n];
            hi = x + y;
            yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) {
                break;
            }
        }
        if (n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0))) {
            y = lo * 2.0;
            x = hi + y;
            yr = x - hi;
            if (y == yr) {
                hi = x;
            }
        }
    }
    return hi;
}

PyDoc_STRVAR(shannon_entropy_doc,
             "shannon_entropy(value, /)\n--\n\n"
             "Bits per character of the first 128 characters, as _common.shannon_entropy gives them.");

static PyObject *
shannon_entropy(PyObject *module, PyObject *arg)
{
    int kind;
    const void *data;
    Py_ssize_t n;
    if (read_str(arg, "shannon_entropy", &kind, &data, &n) < 0) {
        return NULL;
    }
    if (n > 128) {
        n = 128;
    }
    if (n == 0) {
        return PyFloat_FromDouble(0.0);
    }
    /* c * log2(c) for the count c of each distinct character (_common._C_LOG_C[c]; 0 for c == 1). */
    double terms[128];
    Py_ssize_t distinct = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        /* Latin-1, nearly every token: a table of counts. */
        uint8_t counts[256] = {0};
        Py_UCS1 seen[128];
        const Py_UCS1 *chars = data;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (counts[chars[i]]++ == 0) {
                seen[distinct++] = chars[i];
            }
        }
        for (Py_ssize_t d = 0; d < distinct; d++) {
            terms[d] = (double)counts[seen[d]] * log2((double)counts[seen[d]]);
        }
    }
    else {
        /* Sorted, equal characters sit together. */
        Py_UCS4 chars[128];
        for (Py_ssize_t i = 0; i < n; i++) {
            chars[i] = PyUnicode_READ(kind, data, i);
        }
        qsort(chars, n, sizeof(Py_UCS4), compare_ucs4);
        Py_ssize_t run = 1;
        for (Py_ssize_t i = 1; i <= n; i++) {
            if (i < n && chars[i] == chars[i - 1]) {
                run++;
                continue;
            }
            terms[distinct++] = (double)run * log2((double)run);
            run = 1;
        }
    }
    return PyFloat_FromDouble(log2((double)n) - exact_sum(terms, distinct) / (double)n);
}

/* --- Plain forms ---------------------------------------------------------------------------------------- */

/* _text._PLAIN_FORMS: typographic spaces to " ", full-width digits, letters and + - . @ ( ) to ASCII;
 * every other character to itself. */
static inline Py_UCS4
plain_form(Py_UCS4 ch)
{
    if (ch < 0x00A0) {
        return ch;
    }
    if (ch == 0x00A0 || (ch >= 0x2000 && ch <= 0x200A) || ch == 0x202F || ch == 0x205F || ch == 0x3000) {
        return ' ';
    }
    if ((ch >= 0xFF10 && ch <= 0xFF19) || (ch >= 0xFF21 && ch <= 0xFF3A) || (ch >= 0xFF41 && ch <= 0xFF5A) ||
        ch == 0xFF0B || ch == 0xFF0D || ch == 0xFF0E || ch == 0xFF20 || ch == 0xFF08 || ch == 0xFF09) {
        return ch - 0xFEE0;
    }
    return ch;
}

PyDoc_STRVAR(plain_forms_doc,
             "plain_forms(text, /)\n--\n\n"
             "``text.translate(_text._PLAIN_FORMS)``: the same str object when nothing changes.");

static PyObject *
plain_forms(PyObject *module, PyObject *arg)
{
    int kind;
    const void *data;
    Py_ssize_t n;
    if (read_str(arg, "plain_forms", &kind, &data, &n) < 0) {
        return NULL;
    }
    /* Latin-1 text can hold only the no-break space; most text holds none of these characters at all. */
    Py_ssize_t first = 0;
    while (first < n && plain_form(PyUnicode_READ(kind, data, first)) == PyUnicode_READ(kind, data, first)) {
        first++;
    }
    if (first == n) {
        Py_INCREF(arg);
        return arg;
    }
    /* The copy's widest character decides its kind (a str must use the narrowest one that fits). */
    Py_UCS4 widest = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = plain_form(PyUnicode_READ(kind, data, i));
        if (ch > widest) {
            widest = ch;
        }
    }
    PyObject *out = PyUnicode_New(n, widest);
    if (out == NULL) {
        return NULL;
    }
    const int out_kind = PyUnicode_KIND(out);
    void *out_data = PyUnicode_DATA(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyUnicode_WRITE(out_kind, out_data, i, plain_form(PyUnicode_READ(kind, data, i)));
    }
    return out;
}

PyDoc_STRVAR(numeric_runs_doc,
             "numeric_runs(low, /)\n--\n\n"
             "(runs, iban_anchors) of the lower-cased text, as _text._numeric_runs gives them.");

static PyObject *
numeric_runs(PyObject *module, PyObject *arg)
{
    int kind;
    const void *data;
    Py_ssize_t n;
    if (read_str(arg, "numeric_runs", &kind, &data, &n) < 0) {
        return NULL;
    }
    PyObject *runs = PyList_New(0);
    PyObject *anchors = PyList_New(0);
    if (runs == NULL || anchors == NULL) {
        goto fail;
    }
    Py_ssize_t i = 0;
    while (i < n) {
        if (!is_digit(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        /* [digit][digit or separator]{3,}: greedy, and the next search starts where a run ends. */
        Py_ssize_t start = i, end = i + 1;
        while (end < n) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, end);
            if (!is_digit(ch) && !is_separator(ch)) {
                break;
            }
            end++;
        }
        if (end - start < 4) {
            i = start + 1;
            continue;
        }
        i = end;
        if (end - start >= 6 && append_steal(anchors, PyLong_FromSsize_t(start)) < 0) {
            goto fail;
        }
        if (start > 0 && joins_token(PyUnicode_READ(kind, data, start - 1))) {
            /* Glued to a word: only what follows a space in the run stands alone. */
            Py_ssize_t space = start;
            while (space < end && PyUnicode_READ(kind, data, space) != ' ') {
                space++;
            }
            if (space == end) {
                continue;
            }
            while (space < end && PyUnicode_READ(kind, data, space) == ' ') {
                space++;
            }
            if (space == end || !is_digit(PyUnicode_READ(kind, data, space))) {
                continue;
            }
            start = space;
        }
        Py_ssize_t digits = 0;
        for (Py_ssize_t j = start; j < end; j++) {
            digits += is_digit(PyUnicode_READ(kind, data, j));
        }
        if (append_steal(runs, Py_BuildValue("(nnn)", start, end, digits)) < 0) {
            goto fail;
        }
    }
    PyObject *result = PyTuple_Pack(2, runs, anchors);
    Py_DECREF(runs);
    Py_DECREF(anchors);
    return result;
fail:
    Py_XDECREF(runs);
    Py_XDECREF(anchors);
    return NULL;
}

PyDoc_STRVAR(long_words_doc,
             "long_words(raw, /)\n--\n\n"
             "Windows over the whitespace-separated words of 12 or more characters, as _text._long_words "
             "gives them.");

static PyObject *
long_words(PyObject *module, PyObject *arg)
{
    int kind;
    const void *data;
    Py_ssize_t n;
    if (read_str(arg, "long_words", &kind, &data, &n) < 0) {
        return NULL;
    }
    PyObject *spans = PyList_New(0);
    if (spans == NULL) {
        return NULL;
    }
    Py_ssize_t i = 0;
    while (i < n) {
        /* str.split()'s whitespace. */
        while (i < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
            i++;
        }
        Py_ssize_t start = i;
        while (i < n && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
            i++;
        }
        if (i - start >= 12) {
            Py_ssize_t end = i + 1 < n ? i + 1 : n;
            if (append_steal(spans, Py_BuildValue("(nn)", start, end)) < 0) {
                Py_DECREF(spans);
                return NULL;
            }
        }
    }
    return spans;
}

static PyMethodDef methods[] = {
    {"numeric_runs", numeric_runs, METH_O, numeric_runs_doc},
    {"long_words", long_words, METH_O, long_words_doc},
    {"keyword_automaton", keyword_automaton, METH_O, keyword_automaton_doc},
    {"shannon_entropy", shannon_entropy, METH_O, shannon_entropy_doc},
    {"plain_forms", plain_forms, METH_O, plain_forms_doc},
    {"find_keywords", (PyCFunction)(void (*)(void))find_keywords, METH_FASTCALL, find_keywords_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef_Slot slots[] = {
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_textscan",
    .m_doc = "The compiled detector's character-by-character work (see alerts/patterns/_textscan.c).",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__textscan(void)
{
    return PyModuleDef_Init(&module_def);
}
