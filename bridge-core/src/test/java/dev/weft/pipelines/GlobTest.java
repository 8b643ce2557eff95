package dev.weft.pipelines;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rows marked "ds" are doublestar v4's own {@code matchTests} (doublestar_test.go), so weft agrees
 * with upstream where upstream's matcher has been pinned down; the rest cover what the spec states.
 * Columns: pattern, name, expected. In CSV an empty cell is written {@code ''}.
 */
@DisplayName("Glob")
class GlobTest {

    static void check(String pattern, String name, boolean expected) {
        assertEquals(expected, Glob.of(pattern).matches(name), () -> "Match(\"" + pattern + "\", \"" + name + "\")");
    }

    @Nested
    @DisplayName("* and ? stay inside one path segment")
    class StarAndQuestion {
        @ParameterizedTest(name = "[{index}] {0} ~ {1} = {2}")
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
                "''      | ''        | true",   // ds
                "*       | ''        | true",   // ds
                "*       | /         | false",  // ds
                "/*      | /         | true",   // ds
                "/*      | /debug/   | false",  // ds
                "/*      | //        | false",  // ds
                "abc     | abc       | true",   // ds
                "abc     | abcd      | false",
                "abc     | ab        | false",
                "*       | abc       | true",   // ds
                "*c      | abc       | true",   // ds
                "*/      | a/        | true",   // ds
                "a*      | a         | true",   // ds
                "a*      | abc       | true",   // ds
                "a*      | ab/c      | false",  // ds
                "a*/b    | abc/b     | true",   // ds
                "a*/b    | a/c/b     | false",  // ds
                "a*/c/   | a/b       | false",  // ds
                "a*b*c*d*e*/f | axbxcxdxe/f     | true",  // ds
                "a*b*c*d*e*/f | axbxcxdxexxx/f  | true",  // ds
                "a*b*c*d*e*/f | axbxcxdxe/xxx/f | false", // ds
                "a*b?c*x | abxbbxdbxebxczzx | true",  // ds
                "a*b?c*x | abxbbxdbxebxczzy | false", // ds
                "a?b     | a☺b       | true",   // ds: ? is one character, not one byte
                "a???b   | a☺b       | false",  // ds
                "a?b     | a/b       | false",  // ds
                "a*b     | a/b       | false",  // ds
                "*x      | xxx       | true",   // ds
                "a/*/*/d | a/b/c/d   | true",   // ds
                "a/      | a         | false",  // ds
                "a/b/c   | a/b//c    | false",  // ds
                "release-* | release-1.2 | true",
                "release-* | release/1.2 | false",
                "v?      | v1        | true",
                "v?      | v10       | false",
                ".*      | .hidden   | true",   // no special case for dot files
                "*       | .hidden   | true",
                "***     | a/b       | false",  // a run of three stars is a plain star
        })
        void table(String pattern, String name, boolean expected) {
            check(pattern, name, expected);
        }
    }

    @Nested
    @DisplayName("** crosses / only as a whole path segment")
    class Globstar {
        @ParameterizedTest(name = "[{index}] {0} ~ {1} = {2}")
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
                "**      | ''        | true",   // ds
                "**      | a/b/c     | true",
                "a/**    | a         | true",   // ds: a trailing /** also matches the directory itself
                "a/**/   | a         | true",   // ds
                "a/**    | a/        | true",   // ds
                "a/**/   | a/        | true",   // ds
                "a/**    | a/b       | true",   // ds
                "a/**    | a/b/c     | true",   // ds
                "a/**    | ab        | false",
                "a/**/   | a/b       | false",
                "a/**/   | a/b/      | true",
                "**/c    | c         | true",   // ds
                "**/c    | b/c       | true",   // ds
                "**/c    | a/b/c     | true",   // ds
                "**/c    | a/b       | false",  // ds
                "**/c    | abcd      | false",  // ds
                "**/c    | a/abc     | false",  // ds
                "a/**/b  | a/b       | true",   // ds: zero directories
                "a/**/c  | a/b/c     | true",   // ds
                "a/**/d  | a/b/c/d   | true",   // ds
                "a/**/b  | ab        | false",
                "a/**/b  | a/x/yb    | false",
                "abc/**  | abc/b     | true",   // ds
                "**/abc  | abc       | true",   // ds
                "abc**   | abc/b     | false",  // ds: inside a segment ** is a plain *
                "abc**   | abcdef    | true",
                "**.txt  | a.txt     | true",
                "**.txt  | d/a.txt   | false",
                "a/**.txt | a/b.txt  | true",
                "a/**.txt | a/b/c.txt | false",
                "**/*.txt | abc/【test】.txt | true", // ds
                "**/【*  | abc/【test】.txt | true", // ds
                "**/{a,b} | a/b      | true",   // ds
                "src/**/*.java | src/Main.java | true",
                "src/**/*.java | src/dev/weft/Main.java | true",
                "src/**/*.java | lib/src/Main.java | false",
                "docs/** | docs      | true",
                "docs/** | docs/a/b.md | true",
                "docs/** | docsx/a.md | false",
                "e/**    | e/**      | true",   // ds
                "e/**    | e/[]      | true",   // ds
                "e/**    | e/\\      | true",   // ds
                "{**/a,b} | x/y/a    | true",   // an alternative starting a segment may hold a globstar
                "x/{a,**} | x/y/z    | true",
                "x/{a,**} | x        | false",  // only a literal trailing /** also matches the directory
                "a{**/b,c} | ax/b    | true",   // not at a segment start: a plain * (doublestar's recursion differs)
                "a{**/b,c} | ax/y/b  | false",
        })
        void table(String pattern, String name, boolean expected) {
            check(pattern, name, expected);
        }
    }

    @Nested
    @DisplayName("[...] classes: ranges, ^ and ! negation, escapes; an empty class is malformed")
    class Classes {
        @ParameterizedTest(name = "[{index}] {0} ~ {1} = {2}")
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
                "ab[c]   | abc       | true",   // ds
                "ab[b-d] | abc       | true",   // ds
                "ab[e-g] | abc       | false",  // ds
                "ab[^c]  | abc       | false",  // ds
                "ab[^b-d] | abc      | false",  // ds
                "ab[^e-g] | abc      | true",   // ds
                "a[^a]b  | a☺b       | true",   // ds
                "a[!a]b  | a☺b       | true",   // ds
                "a[^a][^a][^a]b | a☺b | false", // ds
                "[a-ζ]*  | α         | true",   // ds
                "*[a-ζ]  | A         | false",  // ds
                "[\\]a]  | ]         | true",   // ds
                "[\\-]   | -         | true",   // ds
                "[x\\-]  | x         | true",   // ds
                "[x\\-]  | -         | true",   // ds
                "[x\\-]  | z         | false",  // ds
                "[\\-x]  | x         | true",   // ds
                "[\\-x]  | -         | true",   // ds
                "[\\-x]  | a         | false",  // ds
                "[-]     | -         | true",   // ds
                "[x-]    | x         | true",   // ds
                "[x-]    | -         | true",   // ds
                "[x-]    | z         | false",  // ds
                "[-x]    | x         | true",   // ds
                "[-x]    | -         | true",   // ds
                "[-x]    | a         | false",  // ds
                "[a-b-d] | a         | true",   // ds
                "[a-b-d] | b         | true",   // ds
                "[a-b-d] | -         | true",   // ds
                "[a-b-d] | c         | false",  // ds
                "[a-b-x] | x         | true",   // ds
                "[abc]   | b         | true",   // ds
                "[abc123] | 1        | true",   // ds
                "[a-z0-9] | 1        | true",   // ds
                "[a-z0-9] | A        | false",
                "v[0-9]* | v1.2      | true",
                "v[!0-9]* | vx       | true",
                "v[!0-9]* | v1       | false",
                "[ab]    | ab        | false",  // one character only
                "a[/]b   | a/b       | true",   // doublestar lets a class match the separator
                "e/[\\*\\?]  | e/*   | true",   // ds
                "e/[\\*\\?]  | e/?   | true",   // ds
                "e/[\\*\\?]  | e/**  | false",  // ds
                "e/[\\*\\?]? | e/**  | true",   // ds
        })
        void table(String pattern, String name, boolean expected) {
            check(pattern, name, expected);
        }
    }

    @Nested
    @DisplayName("{a,b} alternatives, nestable, possibly empty")
    class Alternatives {
        @ParameterizedTest(name = "[{index}] {0} ~ {1} = {2}")
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
                "ab{c,d}   | abc     | true",   // ds
                "ab{c,d,*} | abcde   | true",   // ds
                "ab{c,d}   | abe     | false",
                "a{,bc}    | a       | true",   // ds
                "a{,bc}    | abc     | true",   // ds
                "a/{b/c,c/b} | a/b/c | true",   // ds
                "a/{b/c,c/b} | a/c/b | true",   // ds
                "a/a*{b,c} | a/abc   | true",   // ds
                "{a/{b,c},abc} | a/b   | true", // ds
                "{a/{b,c},abc} | a/c   | true", // ds
                "{a/{b,c},abc} | abc   | true", // ds
                "{a/{b,c},abc} | a/b/c | false", // ds
                "{a/ab*}   | a/abc   | true",   // ds
                "{a/*}     | a/b     | true",   // ds
                "{a/abc}   | a/abc   | true",   // ds
                "{a/b,a/c} | a/c     | true",   // ds
                "e/{\\*,\\?} | e/*   | true",   // ds
                "e/{\\*,\\?} | e/?   | true",   // ds
                "e/{\\*,\\?} | e/x   | false",
                "a{}b      | ab      | true",
                "{main,release/*} | release/1 | true",
                "{main,release/*} | release/1/x | false",
                "{main,release/**} | release/1/x | true",
                "{a,b{c,d{e,f}}} | bdf | true",
                "{a,b{c,d{e,f}}} | bdg | false",
                "a,b       | a,b     | true",   // a comma outside braces is literal
                "{docs,src}/** | src/a/b | true",
                "{docs,src}/** | src     | true",
        })
        void table(String pattern, String name, boolean expected) {
            check(pattern, name, expected);
        }

        @Test
        @Timeout(5)
        @DisplayName("many groups do not blow up (doublestar's expansion would be 2^40)")
        void manyGroups() {
            String pattern = "{a,b}".repeat(40);
            assertTrue(Glob.of(pattern).matches("ab".repeat(20)));
            assertFalse(Glob.of(pattern).matches("ab".repeat(19) + "c"));
            assertFalse(Glob.of(pattern + "x").matches("a".repeat(40)));
        }
    }

    @Nested
    @DisplayName("\\ escapes the next character")
    class Escapes {
        @ParameterizedTest(name = "[{index}] {0} ~ {1} = {2}")
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
                "a\\*b    | ab      | false",   // ds
                "a\\*b    | a*b     | true",
                "a/\\**   | a/b/c   | false",   // ds
                "a/\\**   | a/*bc   | true",
                "a/\\[*\\] | a/bc   | false",   // ds
                "a/\\[*\\] | a/[bc] | true",
                "e/\\[x\\]/* | e/[x]/[y] | true", // ds
                "e/\\[    | e/[     | true",    // ds
                "e/]      | e/]     | true",    // ds
                "e/\\]    | e/]     | true",    // ds
                "e/\\{    | e/{     | true",    // ds
                "e/\\}    | e/}     | true",    // ds
                "e/\\*    | e/*     | true",    // ds
                "e/\\?    | e/?     | true",    // ds
                "e/\\?    | e/**    | false",   // ds
                "*\\}     | }       | true",    // ds
                "\\a      | a       | true",
                "{a\\,b,c} | a,b    | true",    // an escaped comma is not a separator of alternatives
                "{a\\,b,c} | a      | false",
        })
        void table(String pattern, String name, boolean expected) {
            check(pattern, name, expected);
        }
    }

    @Nested
    @DisplayName("a malformed pattern never matches, never throws")
    class Malformed {
        @ParameterizedTest(name = "[{index}] \"{0}\"")
        @ValueSource(strings = {
                "\\", "[", "[^", "[^bc", "a[", "ad[", "[]a]", "[]", "[!]", "ab{c,d}[", "e/[", // ds: ErrBadPattern
                "{a,b", "a}", "{", "}", "a{b{c}", "x\\", "[a-", "{[}]",
        })
        void neverMatches(String pattern) {
            Glob g = Glob.of(pattern);
            assertFalse(g.valid(), pattern + " should be malformed");
            for (String name : List.of("", "a", "ab", "abcd", "]", "[", "{", "}", "\\", "e/[", "a/b", "x")) {
                assertFalse(g.matches(name), () -> pattern + " matched " + name);
            }
        }

        @Test
        @DisplayName("too long or too deeply nested is treated as malformed, not worked through")
        void bounds() {
            assertFalse(Glob.of("a".repeat(Glob.MAX_LENGTH + 1)).matches("a".repeat(Glob.MAX_LENGTH + 1)));
            assertTrue(Glob.of("a".repeat(Glob.MAX_LENGTH)).matches("a".repeat(Glob.MAX_LENGTH)));
            String deep = "{".repeat(Glob.MAX_NESTING + 1) + "a" + "}".repeat(Glob.MAX_NESTING + 1);
            assertFalse(Glob.of(deep).valid());
            String ok = "{".repeat(Glob.MAX_NESTING) + "a" + "}".repeat(Glob.MAX_NESTING);
            assertTrue(Glob.of(ok).matches("a"));
        }

        @Test
        @Timeout(5)
        @DisplayName("a pathological star pattern runs in linear-ish time")
        void noBacktrackingBlowUp() {
            String pattern = "a*".repeat(200) + "b";
            assertFalse(Glob.of(pattern).matches("a".repeat(4000)));
            String stars = "**/".repeat(200) + "x";
            assertFalse(Glob.of(stars).matches("a/".repeat(2000) + "y"));
            assertTrue(Glob.of(stars).matches("a/".repeat(2000) + "x"));
        }
    }

    @Test
    @DisplayName("an empty pattern list never matches")
    void emptyList() {
        assertFalse(Glob.anyMatch(List.of(), ""));
        assertFalse(Glob.anyMatch(List.of(), "main"));
        assertTrue(Glob.anyMatch(List.of(Glob.of("dev"), Glob.of("ma*")), "main"));
    }
}
