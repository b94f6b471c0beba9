# %% [markdown]
# # 05 · MLflow Models: do que um modelo é feito, e como servi-lo
#
# Um MLflow Model é uma pasta com um arquivo de descrição (`MLmodel`) que diz como
# carregá-lo em vários sabores (flavors), que entrada ele espera (sua assinatura, ou
# signature), um exemplo dessa entrada e os pacotes de que ele precisa. É esse contrato que
# permite carregar o mesmo modelo em um notebook, usá-lo em previsão em lote (batch
# scoring), servi-lo via REST ou empacotá-lo em uma imagem de contêiner sem mudar código.
# Esta lição abre um modelo no bucket, quebra a assinatura dele de propósito, envolve o
# campeão da lição 04 com pré-processamento em um modelo escrito como código, serve o
# campeão via HTTP, gera o Dockerfile dele e o avalia.
#
# **Você vai aprender** os arquivos de um modelo registrado em log (logged model); sabores;
# a verificação da assinatura; modelos registrados em log e `mlflow.search_logged_models`;
# modelos `pyfunc` personalizados escritos como código (models from code), com requisitos
# fixados; `mlflow models serve` e seus formatos de entrada REST;
# `mlflow models generate-dockerfile`; `mlflow.models.evaluate`; previsão em lote de um
# arquivo.
#
# **Tempo:** 50 minutos. **Pré-requisitos:** 04 · O registro de modelos (ela cria `previsao_precos@champion`).

# %%
import lab_utils

lab = lab_utils.connect()

# %% tags=["parameters"]
model_name = "previsao_precos"
explainability_rows = 100  # linhas de teste cujas previsões o SHAP explica

# %%
import mlflow
import numpy as np
from mlflow import MlflowClient

client = MlflowClient()
X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
champion = lab_utils.assert_model_version(model_name, alias="champion")

# %% [markdown]
# ## Anatomia de um modelo registrado em log
#
# A versão campeã aponta para um **modelo registrado em log**: desde o MLflow 3,
# `log_model(name=...)` cria uma entidade de modelo própria (um id `m-…`, seus arquivos, suas
# métricas, a execução (run) de onde veio), listada na aba **Models** do experimento
# (experiment). Vamos listar os arquivos dele no bucket com o boto3 e ler o seu arquivo
# `MLmodel`, exatamente como o servidor os guardou.

# %%
import yaml

# O source da versão é `models:/m-…`: o id do modelo registrado em log a partir do qual ela foi registrada.
logged_model = client.get_logged_model(champion.model_id or champion.source.removeprefix("models:/"))
prefix = lab_utils.bucket_prefix(lab, logged_model.artifact_location)
s3 = lab_utils.s3_client(lab)
files = sorted(item["Key"].removeprefix(prefix)
               for item in s3.list_objects_v2(Bucket=lab.bucket, Prefix=prefix)["Contents"])
mlmodel = yaml.safe_load(s3.get_object(Bucket=lab.bucket, Key=prefix + "MLmodel")["Body"].read())
print(f"s3://{lab.bucket}/{prefix}")
for name in files:
    print("  ", name)

# %% [markdown]
# > **skops** — um formato de arquivo para modelos scikit-learn (`model.skops`, acima).
# > Diferente do pickle do Python, ele registra o tipo de cada objeto que guarda e, ao
# > carregar, recusa tipos que não estejam em uma lista de confiança. Fora do Databricks, o
# > MLflow 3 salva modelos scikit-learn com skops por padrão. É mais seguro que o pickle, mas
# > não é uma sandbox: carregue modelos apenas de fontes em que você confia.

# %% tags=["nbval-check-output"]
print("sabores:", sorted(mlmodel["flavors"]))
print("carregador do sabor python_function:", mlmodel["flavors"]["python_function"]["loader_module"])
print("serialização do sabor sklearn:", mlmodel["flavors"]["sklearn"]["serialization_format"])
print("entradas da assinatura:", [column["name"] for column in yaml.safe_load(mlmodel["signature"]["inputs"])])
print("requisitos:", [line.split("==")[0] for line in
                      s3.get_object(Bucket=lab.bucket, Key=prefix + "requirements.txt")["Body"]
                      .read().decode().split()])

# %% [markdown]
# > **Sabor (flavor)** — uma forma de carregar um modelo salvo. `sklearn` devolve o estimador
# > scikit-learn original (`mlflow.sklearn.load_model`); `python_function` (`pyfunc`) devolve
# > um objeto genérico com um método `predict` que toda ferramenta do MLflow (servir,
# > previsão em lote, `evaluate`) entende, qualquer que seja a biblioteca que treinou o
# > modelo.
#
# > **Assinatura (signature)** — a entrada e a saída declaradas do modelo: nomes e tipos das
# > colunas. Um modelo `pyfunc` confere cada entrada com ela antes de prever.
#
# Além do `MLmodel` (sabores, assinatura), a pasta contém **input_example.json** e
# **serving_input_example.json** (linhas reais, e as mesmas linhas como corpo de uma
# requisição REST), e **requirements.txt**, **conda.yaml** e **python_env.yaml** (o que
# instalar para carregá-lo).
#
# ### Ponto de verificação
# O modelo registrado em log é uma entidade do lado do servidor: `mlflow.search_logged_models`
# o encontra pela execução de onde ele veio, com seu nome e status.

# %%
found = mlflow.search_logged_models(experiment_ids=[logged_model.experiment_id],
                                    filter_string=f"source_run_id = '{logged_model.source_run_id}'",
                                    output_format="list")
assert logged_model.model_id in {m.model_id for m in found}, "o modelo registrado em log do campeão não foi encontrado"
print(f"✓ o campeão é o modelo registrado em log {logged_model.name!r} ({logged_model.status}) "
      f"da execução {logged_model.source_run_id[:8]}…")

# %% [markdown]
# ## Verificação da assinatura
#
# Uma coluna ausente é recusada com uma mensagem que a nomeia (espera-se que esta célula
# falhe):

# %%
model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
print(model.metadata.get_input_schema())

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.drop(columns=["lotsize"]).head(2))

# %% [markdown]
# Um valor que não pode ser convertido para o tipo declarado também é recusado:

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.head(2).assign(bedrooms="three"))

# %% [markdown]
# Uma conversão segura é aceita: inteiros de 32 bits são ampliados para o `long` de 64 bits
# declarado:

# %% tags=["nbval-check-output"]
print(model.predict(X_test.head(2).astype({"bedrooms": "int32"})).round(-2))

# %% [markdown]
# mas floats são recusados em uma coluna inteira, mesmo os de valor inteiro: `3.0` quartos
# falha. É disso que trata o aviso do MLflow sobre "integer column(s)" na hora do registro:
# o pandas guarda como float uma coluna com valores ausentes, então, se uma coluna puder ter
# valores ausentes algum dia, declare-a como float ao registrar o modelo. Os dados das casas
# não têm nenhum, então as colunas inteiras deles estão corretas.

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.head(2).astype({"bedrooms": "float64"}))

# %% [markdown]
# ## Um modelo personalizado escrito como código
#
# Entradas reais raramente chegam limpas: aqui, os anúncios novos vêm com respostas
# `yes`/`no` e a área do terreno em metros quadrados. Um modelo `pyfunc` personalizado leva
# esse pré-processamento junto com o estimador, para que todo consumidor tenha o mesmo
# comportamento: crie uma subclasse de `mlflow.pyfunc.PythonModel` e implemente `predict`.
#
# Como registrá-lo: passar uma *instância* (`python_model=ListingPriceModel()`) faz o MLflow
# serializá-la com o cloudpickle, e o MLflow avisa que desserializar um pickle pode executar
# código arbitrário e recomenda **modelos a partir de código (models from code)**: passe o
# *caminho de um arquivo Python* que define o modelo e chama `mlflow.models.set_model(...)`.
# O MLflow guarda o próprio arquivo, legível e revisável, e o executa para carregar o
# modelo. Aqui está o nosso:

# %%
model_code = lab_utils.REPO_ROOT / "projects" / "listing_model" / "listing_price_model.py"
print(model_code.read_text())

# %% [markdown]
# O estimador chega ao modelo como um **artefato** (artifact): `artifacts={"estimator": uri}`
# faz o MLflow copiar o campeão para dentro do novo modelo na hora do registro, e
# `load_context` o carrega. Os requisitos são fixados nas versões instaladas aqui
# (`importlib.metadata`): um `scikit-learn` sem versão fixada instalaria a mais nova que
# existisse no dia em que alguém reconstruísse o ambiente, e esse não é o ambiente em que o
# modelo foi testado.
#
# O MLflow infere a assinatura a partir do `input_example` executando o modelo sobre ele. Ele
# imprimiria o aviso de colunas inteiras explicado acima (como `UserWarning`); as contagens
# do formulário são inteiras de propósito, então a célula silencia esse aviso específico.

# %%
import tempfile
import warnings
from importlib.metadata import version

import pandas as pd

SQFT_PER_M2 = 10.7639
yes_no = ["driveway", "recroom", "fullbase", "gashw", "airco", "prefarea"]


def as_listing(frame: pd.DataFrame) -> pd.DataFrame:
    """As casas na forma bruta: strings yes/no e m²."""
    raw = frame.copy()
    raw[yes_no] = raw[yes_no].replace({1: "yes", 0: "no"})
    raw.insert(0, "lotsize_m2", (raw.pop("lotsize") / SQFT_PER_M2).round(1))
    return raw


listings = as_listing(X_test)
pinned = [f"{package}=={version(package)}" for package in ("mlflow", "scikit-learn", "pandas", "skops")]
mlflow.set_experiment("meu_experimento")
INTEGER_HINT = "Hint: Inferred schema contains integer column"
with mlflow.start_run(run_name="custom_pyfunc") as custom_run, warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=INTEGER_HINT, category=UserWarning)
    custom_info = mlflow.pyfunc.log_model(
        name="model", python_model=str(model_code),
        artifacts={"estimator": f"models:/{model_name}/{champion.version}"},
        input_example=listings.head(3), pip_requirements=pinned,
    )
custom_version = mlflow.register_model(custom_info.model_uri, "previsao_precos_anuncios")

# %% [markdown]
# ### Ponto de verificação
# O modelo personalizado está registrado, o servidor o lista como modelo registrado em log
# desta execução, os requisitos dele no bucket estão fixados e ele dá preço a anúncios
# brutos como o campeão dá preço a linhas limpas.

# %%
lab_utils.assert_model_version("previsao_precos_anuncios", version=custom_version.version)
[custom_logged] = mlflow.search_logged_models(filter_string=f"source_run_id = '{custom_run.info.run_id}'",
                                              output_format="list")
assert custom_logged.model_id == custom_info.model_id
requirements = s3.get_object(Bucket=lab.bucket, Key=lab_utils.bucket_prefix(lab, custom_logged.artifact_location)
                             + "requirements.txt")["Body"].read().decode().split()
assert all("==" in line for line in requirements), f"requisitos sem versão fixada: {requirements}"
reloaded = mlflow.pyfunc.load_model(f"models:/previsao_precos_anuncios/{custom_version.version}")
assert np.allclose(reloaded.predict(listings.head(5)), model.predict(X_test.head(5)), rtol=1e-3)
print("✓ anúncios brutos recebem o mesmo preço que as linhas limpas; requisitos no bucket:", requirements)

# %% [markdown]
# ## Servindo via REST
#
# `mlflow models serve` inicia um servidor HTTP para qualquer modelo MLflow: `GET /ping`
# para verificar se está no ar, `POST /invocations` para prever. `--env-manager local` usa
# este ambiente em vez de construir um novo. `lab_utils.ModelServer` executa esse comando em
# segundo plano e o encerra quando pedido (ou quando o kernel do notebook termina); passamos
# a ele a primeira porta livre a partir da 5001.
#
# Iniciar leva de uns 8 segundos a meio minuto, mais em uma máquina ocupada: o comando inicia um processo Python
# que importa o MLflow, pergunta ao registro de modelos (Model Registry) onde está o
# `@champion` e o baixa do bucket, e então inicia o servidor web (uvicorn), um segundo
# processo Python que importa o MLflow e carrega o modelo de novo antes de responder ao
# `/ping`. Tudo isso disputa o processador da máquina com o que mais estiver rodando.

# %%
import requests

port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
server = lab_utils.ModelServer(f"models:/{model_name}@champion", port=port).start()

# %% [markdown]
# O endpoint aceita JSON em vários formatos: `dataframe_split` (colunas + linhas),
# `dataframe_records` (um objeto por linha) ou `inputs`.

# %%
houses = X_test.head(3)
for body in (
    {"dataframe_split": houses.to_dict(orient="split", index=False)},
    {"dataframe_records": houses.to_dict(orient="records")},
    {"inputs": houses.to_dict(orient="list")},
):
    response = requests.post(f"{server.url}/invocations", json=body, timeout=30)
    print(list(body)[0], "→", response.status_code, np.round(response.json()["predictions"], -2))

# %% [markdown]
# Uma requisição malformada recebe um HTTP 400 com o motivo: aqui, uma coluna ausente.

# %%
bad = requests.post(f"{server.url}/invocations",
                    json={"dataframe_records": [{"lotsize": 5000, "bedrooms": 3}]}, timeout=30)
print(bad.status_code, bad.json()["error_code"])
print(bad.json()["message"][-160:])

# %% [markdown]
# ### Ponto de verificação
# O modelo servido responde como o modelo carregado do registro.

# %%
served = requests.post(f"{server.url}/invocations",
                       json={"dataframe_split": X_test.to_dict(orient="split", index=False)}, timeout=30)
assert served.status_code == 200 and bad.status_code == 400
assert np.allclose(served.json()["predictions"], model.predict(X_test))
print(f"✓ {len(X_test)} previsões via REST batem com o modelo do registro")

# %%
server.stop()
assert lab_utils.port_is_free(server.port), f"a porta {server.port} ainda está em uso"

# %% [markdown]
# ## Um modelo como imagem de contêiner
#
# O mesmo servidor roda em um contêiner. `mlflow models generate-dockerfile` grava uma pasta
# com o modelo e um `Dockerfile` cuja imagem o serve na porta 8080. Esta máquina não tem um
# Docker engine, então geramos a pasta e lemos o arquivo:

# %%
from pathlib import Path

image_folder = Path(tempfile.mkdtemp()) / "champion-image"
# !MLFLOW_LOGGING_LEVEL=WARNING mlflow models generate-dockerfile -m models:/{model_name}@champion -d {image_folder}

# %%
print(sorted(str(path.relative_to(image_folder)) for path in image_folder.iterdir()))
print((image_folder / "Dockerfile").read_text())

# %% [markdown]
# Lendo o arquivo: uma imagem base de Python; o modelo copiado para `/opt/ml/model`; os
# requisitos dele e o MLflow instalados; e um entry point que inicia o mesmo servidor de
# previsão de `mlflow models serve`, na porta 8080. Com um Docker engine, um comando
# constrói a imagem (e outro a executa):
#
# ```bash
# mlflow models build-docker -m models:/previsao_precos@champion -n previsao-precos
# docker run -p 5001:8080 previsao-precos     # depois, faça POST em http://localhost:5001/invocations
# ```

# %%
import shutil

assert (image_folder / "Dockerfile").exists() and (image_folder / "model_dir").is_dir()
shutil.rmtree(image_folder.parent)

# %% [markdown]
# ## Avaliando um modelo
#
# `mlflow.models.evaluate` avalia um modelo em dados rotulados e registra as métricas na
# execução ativa. Ele lê o conjunto de teste: o campeão já foi escolhido, então este é o
# único relatório da pontuação dele em dados que nenhuma decisão viu.
#
# > **SHAP** — uma forma de explicar previsões: para cada linha, o quanto cada atributo
# > (feature) empurrou a previsão para cima ou para baixo da previsão média (seu "valor
# > SHAP"). Ordenar os atributos pelo efeito médio mostra o que mais mexe nos preços.
#
# O `evaluate` pode gerar gráficos SHAP por conta própria (`log_model_explainability`,
# ligado por padrão). Para um regressor, ele usa o explainer genérico de permutação do SHAP,
# que refaz a previsão de cada linha muitas vezes: é lento, e o SHAP imprime uma barra de
# progresso quando passa de 10 segundos. Um modelo linear tem um explainer exato e rápido,
# então desligamos essa opção e chamamos o SHAP nós mesmos, mais abaixo. (O `evaluate`
# também infere um esquema a partir dos dados e imprimiria de novo o aviso de colunas
# inteiras: silenciado, como acima. As linhas INFO dele dizem que ele liga o tracing do
# MLflow enquanto roda; não há nada a fazer quanto a elas.)

# %%
evaluation_data = X_test.assign(price=y_test)
with mlflow.start_run(run_name="evaluate_champion") as evaluation_run, warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=INTEGER_HINT, category=UserWarning)
    mlflow.set_tag("model_version", champion.version)
    result = mlflow.models.evaluate(
        f"models:/{model_name}@champion", evaluation_data, targets="price", model_type="regressor",
        evaluator_config={"log_model_explainability": False},
    )
print({k: round(float(v), 3) for k, v in result.metrics.items()
       if k in ("root_mean_squared_error", "mean_absolute_error", "r2_score")})

# %% [markdown]
# `shap.LinearExplainer` explica o estimador scikit-learn do campeão (seu sabor `sklearn`)
# usando os dados de treinamento como referência (background); `client.log_figure` guarda o
# gráfico na execução de avaliação (o bloco `with` já terminou, então a chamada indica a
# execução).

# %%
import matplotlib.pyplot as plt
import shap

estimator = mlflow.sklearn.load_model(f"models:/{model_name}@champion")
explanation = shap.LinearExplainer(estimator, X_train)(X_test.head(explainability_rows))
figure = plt.figure()
shap.plots.bar(explanation, show=False)
client.log_figure(evaluation_run.info.run_id, figure, "shap/feature_importance.png")
plt.close(figure)
importance = pd.Series(np.abs(explanation.values).mean(axis=0), index=X_test.columns)
print("média de |valor SHAP| (CAD):", importance.sort_values(ascending=False).round(-2).head(4).to_dict())
print("na UI:", lab_utils.run_url(lab, evaluation_run))

# %%
checked = lab_utils.assert_run_logged(evaluation_run.info.run_id,
                                      metrics=["root_mean_squared_error", "r2_score"],
                                      artifacts=["shap/feature_importance.png"])

# %% [markdown]
# ## Previsão em lote de um arquivo
#
# `data/new_houses.csv` contém vinte anúncios sem preço. Carregue o campeão uma vez, gere as
# previsões para o arquivo e guarde-as como artefato de uma execução de previsão.

# %%
new_houses = lab_utils.load_new_houses()
priced = new_houses.assign(predicted_price=model.predict(new_houses).round(-2))
with mlflow.start_run(run_name="batch_scoring") as scoring_run:
    mlflow.set_tags({"model": f"{model_name}@champion", "model_version": champion.version})
    mlflow.log_table(priced.reset_index(), "predictions/new_houses.json")
    mlflow.log_metric("houses_scored", len(priced))
priced.head()

# %%
checked = lab_utils.assert_run_logged(scoring_run.info.run_id, metrics={"houses_scored": 20},
                                      artifacts=["predictions/new_houses.json"])

# %% [markdown]
# ## Exercícios
#
# ### Exercício 1
# Chame você mesmo a API REST do servidor de modelos: inicie um `ModelServer` para a
# versão 1 de `previsao_precos`, faça `POST` de `X_test.head(1)` no `/invocations` dele como
# um corpo `dataframe_records`, encerre o servidor e coloque em `rest_response` a
# `requests.Response` que você recebeu. A verificação lê o log do próprio servidor e compara
# a resposta dele com a versão 1 no registro. (Iniciar o servidor leva até meio minuto, como
# acima.)

# %% tags=["exercise"]
rest_response = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `lab_utils.ModelServer("models:/previsao_precos/1", port=...).start()` dá um servidor
# com um `.url`; `requests.post(f"{server.url}/invocations", json={"dataframe_records": ...})`
# com `DataFrame.to_dict(orient="records")`; depois, `server.stop()`.
#
# </details>

# %% tags=["solution"]
port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
version_1_server = lab_utils.ModelServer(f"models:/{model_name}/1", port=port).start()
try:
    rest_response = requests.post(f"{version_1_server.url}/invocations", timeout=30,
                                  json={"dataframe_records": X_test.head(1).to_dict(orient="records")})
finally:
    version_1_server.stop()

# %% tags=["check-exercise"]
import json
from urllib.parse import urlparse

if lab_utils.attempted(rest_response, "Exercício 1"):
    assert isinstance(rest_response, requests.Response), "coloque em rest_response a Response que requests.post devolveu"
    sent, address = rest_response.request, urlparse(rest_response.url)
    assert sent.method == "POST" and address.path == "/invocations", "faça POST no /invocations do servidor"
    body = json.loads(sent.body)
    assert list(body) == ["dataframe_records"], "envie um corpo dataframe_records"
    assert pd.DataFrame(body["dataframe_records"]).equals(X_test.head(1).reset_index(drop=True)), \
        "envie a linha de X_test.head(1)"
    server_log = lab.logs_dir / f"model-server-{address.port}.log"
    assert server_log.exists() and '"POST /invocations HTTP/1.1" 200' in server_log.read_text(), \
        "nenhum servidor de modelos iniciado com lab_utils.ModelServer respondeu a esta requisição"
    version_1 = mlflow.pyfunc.load_model(f"models:/{model_name}/1")  # o que o registro guarda
    answer = rest_response.json()["predictions"][0]
    assert abs(answer - version_1.predict(X_test.head(1))[0]) < 1e-6, \
        f"o servidor respondeu {answer:,.0f}: essa não é a previsão da versão 1"
    print(f"✓ Exercício 1: o servidor de modelos respondeu {answer:,.0f}, o preço da versão 1")

# %% [markdown]
# ### Exercício 2
# Dê ao modelo personalizado desta lição o apelido (alias) `champion` no registro
# (`previsao_precos_anuncios`, a versão registrada acima), sirva
# `models:/previsao_precos_anuncios@champion`, dê preço ao `listing` abaixo via REST, encerre
# o servidor e coloque a `requests.Response` em `listing_response`.

# %%
listing = pd.DataFrame([{"lotsize_m2": 450.0, "bedrooms": 3, "bathrms": 1, "stories": 2, "garagepl": 1,
                         "driveway": "yes", "recroom": "no", "fullbase": "yes", "gashw": "no",
                         "airco": "yes", "prefarea": "no"}])

# %% tags=["exercise"]
listing_response = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `client.set_registered_model_alias(name, "champion", version)` e depois os mesmos passos
# de `ModelServer` / `requests.post` do Exercício 1, com o anúncio como corpo.
#
# </details>

# %% tags=["solution"]
client.set_registered_model_alias("previsao_precos_anuncios", "champion", custom_version.version)
port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
listing_server = lab_utils.ModelServer("models:/previsao_precos_anuncios@champion", port=port).start()
try:
    listing_response = requests.post(f"{listing_server.url}/invocations", timeout=30,
                                     json={"dataframe_split": listing.to_dict(orient="split", index=False)})
finally:
    listing_server.stop()

# %% tags=["check-exercise"]
if lab_utils.attempted(listing_response, "Exercício 2"):
    assert isinstance(listing_response, requests.Response), \
        "coloque em listing_response a Response que requests.post devolveu"
    aliased = client.get_model_version_by_alias("previsao_precos_anuncios", "champion")  # gera erro se não existir
    assert aliased.run_id == custom_run.info.run_id, \
        f"@champion é a versão {aliased.version}, não a versão que esta lição registrou"
    address = urlparse(listing_response.url)
    server_log = lab.logs_dir / f"model-server-{address.port}.log"
    assert server_log.exists() and '"POST /invocations HTTP/1.1" 200' in server_log.read_text(), \
        "nenhum servidor de modelos iniciado com lab_utils.ModelServer respondeu a esta requisição"
    expected = mlflow.pyfunc.load_model("models:/previsao_precos_anuncios@champion").predict(listing)[0]
    price = listing_response.json()["predictions"][0]
    assert abs(price - expected) < 1, f"o servidor respondeu {price:,.0f}, não o preço do modelo com o apelido"
    print(f"✓ Exercício 2: o servidor de modelos deu ao anúncio o preço de {price:,.0f} CAD")

# %% [markdown]
# ## Resumo
#
# - Um modelo registrado em log é uma entidade no servidor (`search_logged_models`) e
#   arquivos no bucket: `MLmodel` (sabores, assinatura), exemplos, requisitos fixados.
# - A assinatura protege as previsões de entradas malformadas, em Python e via REST.
# - Um `pyfunc` personalizado leva o pré-processamento junto com o modelo; registre-o a
#   partir de código (um arquivo e `set_model`), não como um objeto serializado com pickle.
# - `mlflow models serve` serve qualquer modelo; `/invocations` aceita `dataframe_split`,
#   `dataframe_records` ou `inputs`; `generate-dockerfile` / `build-docker` colocam o mesmo
#   servidor em uma imagem de contêiner.
# - `mlflow.models.evaluate` registra métricas; o SHAP explica previsões, e `log_figure`
#   guarda o gráfico; previsão em lote é `load_model` + `predict`.
#
# ## Leitura complementar
#
# - Documentação do MLflow: https://mlflow.org/docs/latest/
# - Rastreamento (Tracking): https://mlflow.org/docs/latest/ml/tracking/
# - Modelos (sabores, assinaturas, exemplos de entrada): https://mlflow.org/docs/latest/ml/model/
# - Registro de modelos (Model Registry): https://mlflow.org/docs/latest/ml/model-registry/
# - Modelos a partir de código (models from code): https://mlflow.org/docs/latest/ml/model/models-from-code/
# - Assinaturas de modelos: https://mlflow.org/docs/latest/ml/model/signatures/
# - Servir modelos (`mlflow models serve`, contêineres): https://mlflow.org/docs/latest/ml/deployment/
# - Avaliação: https://mlflow.org/docs/latest/ml/evaluation/
#
# ## Verifique o que aprendeu
#
# 1. Uma coluna pode ter valores ausentes em produção. Que tipo ela deve ter na assinatura,
#    e o que acontece na hora da previsão se ela for declarada `long`?
# 2. Por que o MLflow recomenda registrar um `pyfunc` personalizado a partir de um arquivo de
#    código em vez de passar uma instância?
# 3. O que dá errado, meses depois, com `pip_requirements=["scikit-learn", "pandas"]`?
# 4. Quais dois processos iniciam quando `mlflow models serve` roda com
#    `--env-manager local`, e por que isso leva segundos?
# 5. O que `generate-dockerfile` produz, e o que a imagem faz quando roda?

# %% [markdown] tags=["solution"]
# 1. `double` (um float): o pandas guarda como float uma coluna com valores ausentes, e uma
#    coluna `long` recusa floats, mesmo os de valor inteiro, com uma `MlflowException`.
# 2. Uma instância é serializada com o cloudpickle: desserializá-la pode executar código
#    arbitrário, e o pickle depende das versões do Python e das bibliotecas que o geraram. Um
#    arquivo de código é guardado como fonte legível e executado para construir o modelo.
# 3. Uma reconstrução instala as versões mais novas, não as que foram testadas com o modelo;
#    o modelo pode não carregar ou prever de outro jeito. Fixe com `==` as versões que você
#    testou.
# 4. O comando `mlflow models serve` (importa o MLflow, resolve a URI do registro, baixa o
#    modelo) e o servidor de previsão do uvicorn (importa o MLflow, carrega o modelo); cada
#    inicialização do Python importa bibliotecas grandes.
# 5. Uma pasta com o modelo (`model_dir`) e um `Dockerfile`; a imagem instala os requisitos
#    do modelo e o serve com o mesmo servidor de previsão, na porta 8080.

# %% [markdown]
# Próxima: **06 · MLflow Projects**: empacotar o código de treinamento para que qualquer pessoa possa executá-lo de novo.
