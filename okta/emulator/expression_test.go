package emulator

import (
	"strings"
	"testing"
)

// fakeEnv is a user for the expression tests: a profile and the groups (id → name) it belongs to.
type fakeEnv struct {
	profile map[string]any
	groups  map[string]string
}

func (f fakeEnv) attribute(name string) any { return f.profile[name] }
func (f fakeEnv) memberOf(id string) bool   { _, ok := f.groups[id]; return ok }
func (f fakeEnv) memberOfName(match func(string) bool) bool {
	for _, n := range f.groups {
		if match(n) {
			return true
		}
	}
	return false
}

var ada = fakeEnv{
	profile: map[string]any{"firstName": "Ada", "lastName": "Lovelace", "department": "Engineering",
		"email": "ada@example.com", "salary": float64(1500000), "isContractor": false, "city": "San Francisco",
		"favoriteColors": []any{"blue", "green"}, "title": nil},
	groups: map[string]string{"00gEngineers000000000": "Engineers", "00gEveryone0000000000": "Everyone"},
}

// TestExpressionEvaluates checks conditions from Okta's Expression Language reference (its group rule
// samples), the terraform provider's valid examples, and the operators the brief of group rules needs.
func TestExpressionEvaluates(t *testing.T) {
	for _, c := range []struct {
		expr string
		want bool
	}{
		{`user.department=="Engineering"`, true},
		{`user.department == "Marketing"`, false},
		{`user.department != "Marketing"`, true},
		{`user.city == "San Francisco"`, true},
		{`user.city == 'San Francisco'`, true},
		{`user.salary >= 1000000`, true},
		{`user.salary > 1000000 AND !user.isContractor`, true},
		{`!user.isContractor`, true},
		{`String.stringContains(user.email, "@example.com")`, true},
		{`String.stringContains(user.firstName, "dummy")`, false},
		{`String.startsWith(user.firstName,"Ad")`, true},
		{`String.startsWith(user.firstName,String.toLowerCase("AD"))`, false},
		{`String.startsWith(String.toLowerCase(user.firstName),String.toLowerCase("AD"))`, true},
		{`String.toUpperCase(user.lastName) == "LOVELACE"`, true},
		{`String.substringAfter(user.email, "@") == "example.com"`, true},
		{`String.substringBefore(user.email, "@") == "ada"`, true},
		{`String.len(user.firstName) == 3`, true},
		{`Arrays.contains(user.favoriteColors, "blue")`, true},
		{`Arrays.contains(user.favoriteColors, "red")`, false},
		{`Arrays.size(user.favoriteColors) == 2 and !Arrays.isEmpty(user.favoriteColors)`, true},
		{`(user.firstName == "Ada" AND user.lastName == "Byron") OR user.email == "ada@example.com"`, true},
		{`user.firstName == "Ada" && (user.lastName == "Byron" || user.lastName == "Lovelace")`, true},
		{`user.department=="Engineering" and isMemberOfAnyGroup("00gOther000000000000", "00gEngineers000000000")`, true},
		{`user.department=="Engineering" or user.department=="Marketing"`, true},
		{`isMemberOfGroup("00gOther000000000000")`, false},
		{`isMemberOfGroupName("Engineers")`, true},
		{`isMemberOfGroupNameStartsWith("Eng")`, true},
		{`isMemberOfGroupNameContains("gineer")`, true},
		{`NOT isMemberOfGroupNameContains("admin")`, true},
		{`  user.firstName    ==    "Ada"   AND   user.lastName   ==   "Lovelace"  `, true},
		{`user.firstName == "(Ada)"`, false},
		{`user.firstName == "it''s"`, false},
		{`true`, true},
		{`false OR user.isContractor`, false},
		// A missing or null attribute never matches and never fails the rule.
		{`user.nickName == "Countess"`, false},
		{`user.nickName != "Countess"`, true},
		{`user.title == null`, true},
		{`String.stringContains(user.nickName, "")`, false},
		{`String.toLowerCase(user.nickName) == null`, true},
		{`user.nickName > "a"`, false},
		{`user.salary > "a"`, false},
		{`user.department`, false},
		{`user.isContractor`, false},
	} {
		x, err := parseExpression(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := x.matches(ada); got != c.want {
			t.Errorf("%s = %v, want %v", c.expr, got, c.want)
		}
	}
}

// TestExpressionRefuses checks what Okta refuses (the terraform provider's invalid examples among
// them), each with a reason that says what is wrong.
func TestExpressionRefuses(t *testing.T) {
	for _, c := range []struct{ expr, reason string }{
		{`user.firstName == "John")`, `unexpected ")"`},
		{`user.firstName == "John"))`, `unexpected ")"`},
		{`(user.firstName == "John"`, `expected ")"`},
		{`user.firstName ==`, "expected a value"},
		{`user.firstName == "John" OR`, "expected a value"},
		{`user.firstName == "John" AND`, "expected a value"},
		{`user.firstName ==> "John"`, `expected a value, found ">"`},
		{`user.firstName = "John"`, `unexpected character '='`},
		{`profile.firstName == "John"`, "unknown reference profile.firstName"},
		{`user.profile.firstName == "John"`, "not a user attribute"},
		{`NonExistentFunction(user.firstName)`, "unknown function NonExistentFunction"},
		{`String.to lowercase(user.email)`, "unknown reference String.to"},
		{`String.1toLowerCase(user.email)`, "expected a name"},
		{`String.to$lower(user.email)`, "unknown function String.to$lower"},
		{`string.tolowercase(user.email)`, "unknown function string.tolowercase"},
		{`String.toUpperCase(user.firstName)`, "resolves to a String, not a Boolean"},
		{`toUpperCase(user.firstName)`, "unknown function toUpperCase"},
		{``, "expected a value, found end of expression"},
		{`String.toLowerCase()`, "String.toLowerCase takes 1 argument, not 0"},
		{`String.startsWith(String.toLowerCase(user.articulateId,"auth0|"))`, "String.toLowerCase takes 1 argument, not 2"},
		{`Arrays.contains("not_an_array", "value")`, "argument 1 of Arrays.contains must be an Array, not a String"},
		{`isMemberOfAnyGroup()`, "isMemberOfAnyGroup takes at least 1, not 0"},
		{`Convert.toInt("1") == 1`, "unknown function Convert.toInt"},
		{`Time.now() == "x"`, "unknown function Time.now"},
		{`"Engineering"`, "resolves to a String"},
		{`1 + 1`, `unexpected character '+'`},
		{`"abc" AND true`, "AND needs Boolean operands, not a String"},
		{`!"abc"`, "! needs Boolean operands"},
		{`true > false`, "> compares Numbers or Strings, not a Boolean"},
		{`user.a == 1 == true`, "comparisons cannot be chained"},
		{`user.firstName == "open`, "the string literal is not closed"},
		{`user.salary == 1.2.3`, `"1.2.3" is not a number`},
		{`user.isMemberOf({'group.id': '00g1'})`, `unexpected character '{'`},
		{`user.department == "Engineering" ? true : false`, `unexpected character '?'`},
		{strings.Repeat("(", maxExpressionDepth+1) + "true" + strings.Repeat(")", maxExpressionDepth+1), "nests more than 64 levels"},
		{strings.Repeat("!", maxExpressionDepth+1) + "true", "nests more than 64 levels"},
	} {
		_, err := parseExpression(c.expr)
		if err == nil {
			t.Errorf("%q parsed", c.expr)
			continue
		}
		if !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%q: %v, want %q", c.expr, err, c.reason)
		}
	}
}

// TestExpressionNamesGroups collects the group ids a condition names, which rule validation checks.
func TestExpressionNamesGroups(t *testing.T) {
	x, err := parseExpression(`isMemberOfGroup("00gA") || isMemberOfAnyGroup("00gB", user.department, "00gC")`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(x.groupIDs, ","); got != "00gA,00gB,00gC" {
		t.Errorf("group ids %s", got)
	}
}
