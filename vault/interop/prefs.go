package interop

import (
	"bytes"
	"encoding/xml"
)

// androidPrefs reads an Android shared-preferences file, as apps keep their state on
// a phone (a rooted phone's /data/data/APP/shared_prefs/NAME.xml): a <map> of
// <string name="...">, <int>, <long> and <boolean> entries. It returns the strings by
// name, in the file's order, or false when the file is no such map.
func androidPrefs(data []byte) (names []string, values map[string]string, ok bool) {
	var m struct {
		XMLName xml.Name
		Strings []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:",chardata"`
		} `xml:"string"`
	}
	if err := xml.Unmarshal(data, &m); err != nil || m.XMLName.Local != "map" {
		return nil, nil, false
	}
	values = make(map[string]string, len(m.Strings))
	for _, s := range m.Strings {
		if _, dup := values[s.Name]; !dup {
			names = append(names, s.Name)
		}
		values[s.Name] = s.Value
	}
	return names, values, true
}

// hasPref reports whether data looks like a preferences file holding a string named
// name: a cheap test for detection, before any XML is parsed.
func hasPref(data []byte, name string) bool {
	return bytes.Contains(data[:min(len(data), 1<<20)], []byte(`<map`)) &&
		bytes.Contains(data, []byte(`name="`+name+`"`))
}
