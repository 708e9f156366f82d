"""load_csv with text columns: class names for a text target, one-hot text features."""

import numpy as np
import pytest

from chainrule.data import load_csv
from chainrule.data.tabular import feature_names


def _csv(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


IRIS = ("width,soil,length,species\n"
        "1.0,sand,2.0,virginica\n"
        "1.5,clay,0.5,setosa\n"
        "\n"
        "2.0,sand,1.0,versicolor\n"
        "0.5,loam,3.0,setosa\n")


def test_a_text_target_is_class_ids_into_sorted_names(tmp_path):
    p = _csv(tmp_path, IRIS)
    X, y, classes = load_csv(p, target="species", return_classes=True)
    assert classes == ["setosa", "versicolor", "virginica"]
    assert y.dtype == np.int64 and y.tolist() == [2, 0, 1, 0]
    assert [classes[i] for i in y] == ["virginica", "setosa", "versicolor", "setosa"]
    _, y = load_csv(p, target="species", target_dtype=np.dtype(np.float64))
    assert y.dtype == np.float64 and y.tolist() == [2, 0, 1, 0]
    # the default return shape is unchanged
    X2, y2 = load_csv(p, target="species")
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_text_features_are_one_hot_in_place(tmp_path):
    p = _csv(tmp_path, IRIS)
    X, y, columns, classes, cats = load_csv(p, "species", return_columns=True,
                                            return_classes=True, return_categories=True)
    assert columns == ["width", "soil", "length"]
    assert cats == {"soil": ["clay", "loam", "sand"]}
    assert feature_names(columns, cats) == ["width", "soil=clay", "soil=loam", "soil=sand",
                                            "length"]
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X, [[1.0, 0, 0, 1, 2.0],
                                      [1.5, 1, 0, 0, 0.5],
                                      [2.0, 0, 0, 1, 1.0],
                                      [0.5, 0, 1, 0, 3.0]])


def test_one_hot_matches_scikit_learn(tmp_path):
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    g = np.random.default_rng(0)
    colors = g.choice(["red", "green", "blue", "teal"], size=40)
    sizes = g.choice(["S", "M", "XL"], size=40)
    rows = [f"{c},{s},{i % 3}" for i, (c, s) in enumerate(zip(colors, sizes))]
    p = _csv(tmp_path, "color,size,y\n" + "\n".join(rows) + "\n")
    X, y, cats = load_csv(p, "y", return_categories=True)
    enc = preprocessing.OneHotEncoder().fit(np.stack([colors, sizes], axis=1))
    np.testing.assert_array_equal(X, enc.transform(np.stack([colors, sizes], 1)).toarray())
    assert cats == {"color": list(enc.categories_[0]), "size": list(enc.categories_[1])}


def test_a_training_vocabulary_applies_to_another_file(tmp_path):
    _, _, classes, cats = load_csv(_csv(tmp_path, IRIS), "species", return_classes=True,
                                   return_categories=True)
    q = _csv(tmp_path, "width,soil,length,species\n3,loam,1,setosa\n", "test.csv")
    X, y = load_csv(q, "species", classes=classes, categories=cats)
    np.testing.assert_array_equal(X, [[3, 0, 1, 0, 1]])  # three soil columns, not one
    assert y.tolist() == [0]
    q = _csv(tmp_path, "width,soil,length,species\n3,loam,1,setosa\n4,rock,1,setosa\n", "u.csv")
    with pytest.raises(ValueError, match=r"load_csv: .*u.csv line 3, column 'soil': 'rock' is "
                                         r"not one of the column's 3 categories seen in "
                                         r"training \('clay', 'loam', 'sand'\)"):
        load_csv(q, "species", categories=cats)
    q = _csv(tmp_path, "width,soil,length,species\n3,loam,1,iris\n", "v.csv")
    with pytest.raises(ValueError, match=r"v.csv line 2, column 'species': 'iris' is not one"):
        load_csv(q, "species", classes=classes, categories=cats)


def test_categories_read_a_numeric_looking_column_as_text(tmp_path):
    p = _csv(tmp_path, "zip,x,y\n75001,1,0\n10115,2,1\n75001,3,0\n")
    X, _ = load_csv(p, "y", categories={"zip": ["10115", "75001"]})
    np.testing.assert_array_equal(X[:, :2], [[0, 1], [1, 0], [0, 1]])
    _, y, classes = load_csv(p, "y", classes=["0", "1"], return_classes=True)
    assert classes == ["0", "1"] and y.tolist() == [0, 1, 0]


def test_a_numeric_target_keeps_its_values(tmp_path):
    p = _csv(tmp_path, "a,b,label\n1,2.5,0\n3,-4e1,1\n5,6,2\n")
    _, y, classes, cats = load_csv(p, "label", return_classes=True, return_categories=True)
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2] and classes is None and cats == {}
    _, y, classes = load_csv(p, "b", return_classes=True)
    assert y.dtype == np.float32 and classes is None


def test_quoted_text_with_the_delimiter(tmp_path):
    p = _csv(tmp_path, 'x,name\n1,"Iris, setosa"\n2,"Iris, virginica"\n')
    X, y, classes = load_csv(p, "name", return_classes=True)
    assert classes == ["Iris, setosa", "Iris, virginica"] and y.tolist() == [0, 1]


@pytest.mark.parametrize("text, kwargs, message", [
    ("a,b,y\n1,2,0\n3,x,1\n", {}, r"d.csv line 3, column 'b': 'x' is not a number, but line 2 "
                                  r"holds the number '2'"),
    ("a,b,y\n1,red,0\n3,,1\n", {}, r"d.csv line 3, column 'b': '' is not a number or a "
                                   r"category \(an empty cell\)"),
    ("a,b,y\n1,red,cat\n3,blue,\n", {}, r"line 3, column 'y': '' is not a number or a category"),
    ("a,b,y\n1,red,0\n2,blue,1\n", {"max_categories": 1},
     r"text column 'b' has 2 distinct values, more than max_categories=1"),
    ("a,b,y\n1,red,0\n", {"categories": {"c": ["x"]}},
     r"categories names column 'c', not a column of"),
    ("a,b,y\n1,red,0\n", {"categories": {"y": ["x"]}}, r"categories names column 'y', the target"),
    ("a,b,y\n1,red,0\n", {"categories": {"b": ["red", "red"]}},
     r"categories\['b'\] must be a non-empty list of distinct strings"),
    ("a,b,y\n1,red,0\n", {"classes": "ab"}, r"classes must be a list of strings"),
    ("a,b,y\n1,red,nan\n", {}, r"line 2, column 'y': 'nan' is not a finite number"),
])
def test_bad_text_columns_are_named_errors(tmp_path, text, kwargs, message):
    with pytest.raises(ValueError, match="load_csv: .*" + message):
        load_csv(_csv(tmp_path, text), "y", **kwargs)
